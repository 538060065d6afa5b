"""Errors a user can cause. Each message says what went wrong *and* how to fix it.

Library code raises these; the CLI prints them as one line and the UI shows them as ``gr.Error``.
"""

from __future__ import annotations

from collections.abc import Iterable


class ReliveError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one-line, actionable message."""


class InvalidInput(ReliveError, ValueError):
    """A value given by the user is malformed or out of range."""


class InvalidGenres(InvalidInput):
    """A genre preference vector or genre name is not usable."""


class InvalidImage(InvalidInput):
    """An image cannot be read, or is of a kind relive refuses (too big, animated, …)."""


class UnknownName(InvalidInput, KeyError):
    """A name (backend, creature, accessory, preset…) that does not exist; lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]):
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(self.valid)}")

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return self.args[0]


class CatalogError(ReliveError):
    """An accessory catalogue with problems; ``problems`` lists every one, each with its row."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        listing = "; ".join(problems)
        super().__init__(f"{source} has {len(problems)} problem(s): {listing}")


class ModelUnavailable(ReliveError):
    """A model's dependency or weights are missing; the message names the package or setting to fix it."""


class StorageFull(ReliveError):
    """The scratch disk refused a write (full, read-only); the message names the folder and the fix."""
