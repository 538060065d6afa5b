"""``relive …``: one subcommand per job, each a thin shell over a library call.

Each part of relive adds its own subcommands (``<package>.commands.register``); importing them is cheap, the
heavy imports happen inside the handlers. Errors a user can fix print as one line on stderr
(``relive: error: …``) with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from relive.errors import ReliveError


# Modules with a ``register(subparsers)`` function, in the order ``relive --help`` lists them.
COMMAND_MODULES = ("relive.pet.commands",)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error."""

    def error(self, message: str):
        self.exit(2, f"relive: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="relive", description="Festival souvenirs from your music taste and photo.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ReliveError as err:
        print("relive: error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `relive … | head` closed the pipe: not an error
        return 0
    except OSError as err:  # disk full, permission denied… still one line, no traceback
        print(f"relive: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
