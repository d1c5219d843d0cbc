"""An exception in a view is a notification, never the end of the app.

Textual's default on an unhandled exception is to print the traceback and exit the app,
which under `mesos-tui up` also stopped the local cluster. An operator watching a cluster
needs the opposite: the view that failed says so, the traceback goes to the log file, and
everything else keeps running.

Three nets, from the narrowest:

- `Resilient`, a mixin for our widgets and screens: a handler that raises (an event, a
  message, a key) is reported instead of ending that widget's message loop.
- `MesosApp._dispatch_action` (in app.py): a binding's action that raises is reported.
- `MesosApp._handle_exception` (in app.py): anything else Textual would have died of, once
  the app is up, is reported; before the first screen is up it is still fatal (there is
  nothing to show a notification on).

`report` keeps the last errors on the app (`app.errors`), so a test can assert that a whole
session of key presses and resizes raised nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from textual.message import Message

log = logging.getLogger("mesos_tui.tui")

MAX_KEPT_ERRORS = 50
REPEAT_QUIET_SECONDS = 30.0  # the same error again within this is logged, not shown again

_last_shown: dict[tuple[int, str, str], float] = {}


def report(app: Any, where: str, error: BaseException) -> None:
    """Log `error` with its traceback and show one line of it; never raises.

    A redraw that fails fails again ten times a second: the same error from the same place
    is shown once per `REPEAT_QUIET_SECONDS` (and logged each time)."""
    log.error("error in %s", where, exc_info=error)
    try:
        errors = app.errors
    except AttributeError:
        errors = None
    if isinstance(errors, list):
        errors.append((where, error))
        del errors[:-MAX_KEPT_ERRORS]
    detail = (str(error).splitlines() or [""])[0] or type(error).__name__
    key = (id(app), where, detail)
    now = time.monotonic()
    if now - _last_shown.get(key, -REPEAT_QUIET_SECONDS) < REPEAT_QUIET_SECONDS:
        return
    if len(_last_shown) > 1000:
        _last_shown.clear()
    _last_shown[key] = now
    try:
        app.notify(f"{where}: {detail} (details in the log)", title="Internal error",
                   severity="error", timeout=10, markup=False)
    except Exception:  # noqa: BLE001 - the app may be closing; the log has it
        log.debug("could not show the error", exc_info=True)


class Resilient:
    """Mixin: exceptions raised by this widget's handlers are reported, not fatal."""

    async def _on_message(self, message: Message) -> None:
        try:
            await super()._on_message(message)  # type: ignore[misc]
        except Exception as error:  # noqa: BLE001 - reported, the widget keeps running
            report(self.app, f"{type(self).__name__} ({message.handler_name})",  # type: ignore[attr-defined]
                   error)
