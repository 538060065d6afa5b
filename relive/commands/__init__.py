"""``relive …``: the command-line layer, one subcommand per job, each a thin shell over a library call.

- ``pet``      ``relive pet``, ``relive pet-batch``, ``relive users``;
- ``avatar``   ``relive avatar``, ``relive avatar train-lora``;
- ``carousel`` ``relive collage``, ``relive train``, ``relive evaluate``, ``relive fuse``.

Each module has a ``register(subparsers)``; importing them is cheap, the heavy imports happen inside the handlers.
Nothing in the library imports this layer. Errors a user can fix print as one line on stderr
(``relive: error: …``) with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from relive.errors import ReliveError


# Modules with a ``register(subparsers)`` function, in the order ``relive --help`` lists them.
COMMAND_MODULES = ("relive.commands.pet", "relive.commands.avatar", "relive.commands.carousel")
# Two-word commands argparse cannot express beside a positional argument: `relive avatar train-lora …`.
ALIASES = {("avatar", "train-lora"): "avatar-train-lora"}


def add_taste_arguments(parser: argparse.ArgumentParser) -> None:
    """``--genres`` or ``--preset``, exactly one: the music taste of a command."""
    taste = parser.add_mutually_exclusive_group(required=True)
    taste.add_argument("--genres", help='your taste, e.g. "Rock=1,Punk=0.8" (values in [0, 1])')
    taste.add_argument("--preset", help='a ready-made taste, e.g. "Jazz cat" (see the Pet tab)')


def taste_from(args: argparse.Namespace):
    """The :class:`~relive.genres.Taste` of :func:`add_taste_arguments`: parsed and validated here, once."""
    from relive import genres
    from relive.pet.presets import preset_vector

    return genres.Taste.parse(args.genres) if args.genres is not None else genres.Taste.of(preset_vector(args.preset))


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error."""

    def error(self, message: str):
        """Print the usage mistake as one ``relive: error:`` line and exit with 2."""
        self.exit(2, f"relive: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """``relive``'s parser with every subcommand registered."""
    parser = _Parser(prog="relive", description="Festival souvenirs from your music taste and photo.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def _expand_aliases(argv: list[str]) -> list[str]:
    for words, command in ALIASES.items():
        if tuple(argv[:len(words)]) == words:
            return [command, *argv[len(words):]]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run ``relive ARGV``; returns the exit status (0 ok, 2 a mistake the user can fix, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(_expand_aliases(sys.argv[1:] if argv is None else list(argv)))
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
