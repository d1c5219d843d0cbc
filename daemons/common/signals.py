"""SIGTERM and SIGINT honoured within a second, however busy the event loop is.

`loop.add_signal_handler` runs its callback on the loop, after every callback already ready:
a master saturated by work (issue 15: 6,000 agents re-registering) never got to it and ignored
SIGTERM for minutes. Here the handler is a plain Python signal handler, which runs between two
bytecodes of the main thread whatever the loop is doing; it asks the loop to stop gracefully
and arms a watchdog thread that ends the process after `grace` seconds if the loop has not
finished by then. A daemon that keeps nothing only in memory (the master: its registry is in
ZooKeeper, the rest is soft state) loses nothing by that. A second signal ends it at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading

log = logging.getLogger("mesos.signals")


def stop_on_signals(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event, grace: float = 1.0
) -> None:
    armed: list[threading.Timer] = []

    def hard_exit(why: str) -> None:
        log.warning("%s: exiting now", why)
        logging.shutdown()
        os._exit(0)

    def handler(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if armed:
            hard_exit(f"{name} received twice")
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # the loop is already closed: nothing left to stop gracefully
            hard_exit(f"{name} after the event loop closed")
        timer = threading.Timer(grace, hard_exit, (f"Still busy {grace:g}s after {name}",))
        timer.daemon = True
        timer.start()
        armed.append(timer)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
