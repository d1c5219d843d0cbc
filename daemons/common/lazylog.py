"""A module's logger, with `logging` imported on its first use.

`logging` brings traceback, tokenize, threading and more: some 5 ms that `--help` and a flag
error do not need. A command's entry module writes `log = lazy_logger("name")` and uses it
as a `logging.Logger`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging


class _LazyLogger:
    __slots__ = ("_name", "_logger")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self._name)
        return getattr(self._logger, attribute)


def lazy_logger(name: str) -> logging.Logger:
    return _LazyLogger(name)  # type: ignore[return-value]
