"""Errors a user can cause. Each message says what went wrong *and* how to fix it.

Library code raises these; the CLI prints them as one line and the UI shows them as ``gr.Error``, in the visitor's
language: a raise site passes its English template and the parameters (``InvalidImage("{name} is only {width} px",
name=…, width=…)``), and :attr:`ReliveError.message` keeps both for the UI's translation tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from relive.messages import Message


class ReliveError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one-line, actionable message (in English);
    ``err.message`` the same as a :class:`~relive.messages.Message`, for a UI to translate.

    ``for_staff``: the fix is for whoever runs relive (a package, a weights folder, the disk), not for a visitor at
    the booth, who is told only that the staff can help; the detail goes to the log.
    """

    for_staff: ClassVar[bool] = False

    def __init__(self, template: str = "", /, **params: Any):
        self.message = template if isinstance(template, Message) and not params else Message(template, **params)
        super().__init__(str(self.message))


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
        super().__init__("unknown {kind} {name!r}; choose one of: {valid}", kind=Message(kind), name=name,
                         valid=", ".join(self.valid))

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return self.args[0]


class CatalogError(ReliveError):
    """An accessory catalogue with problems; ``problems`` lists every one, each with its row."""

    for_staff = True

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        listing = "; ".join(problems)
        super().__init__("{source} has {count} problem(s): {listing}", source=source, count=len(problems),
                         listing=listing)


class ModelUnavailable(ReliveError):
    """A model's dependency or weights are missing; the message names the package or setting to fix it."""

    for_staff = True


class StorageFull(ReliveError):
    """The scratch disk refused a write (full, read-only); the message names the folder and the fix."""

    for_staff = True
