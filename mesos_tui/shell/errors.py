"""The shell's errors: one line a person can act on, and the exit status a script sees."""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A command failed; the message is the one line the user sees."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class UsageError(CommandError):
    """A line that does not parse: unknown command, bad flag, missing argument."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


def ambiguous(word: str, hits: Sequence[str], what: str = "task") -> str:
    """The message for a prefix that matches several things."""
    shown = ", ".join(sorted(hits)[:5]) + (", ..." if len(hits) > 5 else "")
    return f"{what} {word!r} is ambiguous: it matches {len(hits)} ({shown}); give more of it"
