"""Playing a recording back as if it were the master: the operator source behind
`mesos-tui replay FILE`.

`ReplaySource` has the interface of the live clients (`run`, `status`, `problem`, `stop`,
`close`, the calls, `streams_extensions`), so the TUI draws a replay with the same views. It
hands the recorded events to `on_event` at the pace they were recorded, times `speed`; it can
be paused, stepped one event at a time, and sped up or slowed down while it plays. Its
`clock()` is the recording's time (the time of the position played to, advancing while it
plays), which the mirror and the views use for ages, so a replay looks as it did live.

Every call that would change a cluster answers `CallResult(False, ...)` saying a replay
changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from mesos_tui.client.operator import CONNECTED, STOPPED, CallResult, ConnectionStatus, Event
from mesos_tui.client.recording import Recording

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
READ_ONLY = "this is a replay of a recording: nothing is sent to a cluster"


class ReplaySource:
    """A recording, played into `on_event`."""

    transport = "replay"

    def __init__(
        self,
        recording: Recording,
        on_event: Callable[[Event], None],
        on_status: Callable[[ConnectionStatus], None] | None = None,
        *,
        speed: float = 1.0,
        paused: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recording = recording
        self.on_event = on_event
        self.on_status = on_status or (lambda status: None)
        self.streams_extensions = recording.extensions
        self.speed = speed
        self.paused = paused
        self.position = 0  # events played
        self.master = f"replay {Path(recording.path).name}"
        self.status = ConnectionStatus(master=self.master, phase=CONNECTED,
                                       address=self.master)
        self.problem: str | None = None
        self.leader: str | None = None
        self._monotonic = monotonic
        first = recording.events[0][0]
        self._anchor_t = first  # recorded time at `_anchor_real`
        self._anchor_real = monotonic()
        self._wake = asyncio.Event()
        self._stopped = False
        self.changed: Callable[[], None] = lambda: None  # the header's redraw

    # ------------------------------------------------------------------------ the clock

    @property
    def total(self) -> int:
        return len(self.recording.events)

    @property
    def finished(self) -> bool:
        return self.position >= self.total

    def clock(self) -> float:
        """The recording's time now."""
        if self.paused or self.finished:
            return self._anchor_t
        return self._anchor_t + (self._monotonic() - self._anchor_real) * self.speed

    def _reanchor(self) -> None:
        self._anchor_t = self.clock()
        self._anchor_real = self._monotonic()

    @property
    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.recording.events[0][0])

    # ------------------------------------------------------------------------- controls

    def toggle(self) -> bool:
        """Pause or resume; answers whether it is paused now."""
        self._reanchor()
        self.paused = not self.paused
        self._kick()
        return self.paused

    def pause(self) -> None:
        if not self.paused:
            self.toggle()

    def resume(self) -> None:
        if self.paused:
            self.toggle()

    def step(self) -> Event | None:
        """Play the next event at once, and pause there; None at the end."""
        if not self.paused:
            self._reanchor()
            self.paused = True
        event = self._play_next()
        self._kick()
        return event

    def faster(self) -> float:
        return self.set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))

    def slower(self) -> float:
        return self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))

    def set_speed(self, speed: float) -> float:
        self._reanchor()
        self.speed = speed
        self._kick()
        return speed

    def _kick(self) -> None:
        self._wake.set()
        self.changed()

    def _play_next(self) -> Event | None:
        if self.finished:
            return None
        t = self.recording.events[self.position][0]
        event = self.recording.event(self.position)
        self.position += 1
        self._anchor_t = max(self._anchor_t, t)
        self._anchor_real = self._monotonic()
        try:
            self.on_event(event)
        finally:
            self.changed()
        return event

    # ---------------------------------------------------------------------- the player

    async def run(self) -> None:
        """Play until the end (or `stop()`); then stay, so the last picture stays on screen."""
        self.on_status(self.status)
        # The snapshot at once: there is a cluster on screen from the first paint.
        self._play_next()
        while not self._stopped:
            self._wake.clear()
            if self.paused or self.finished:
                await self._wake.wait()
                continue
            due = self.recording.events[self.position][0]
            wait = (due - self.clock()) / self.speed
            if wait > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                    continue  # paused, stepped or re-speeded meanwhile: look again
                except TimeoutError:
                    pass
            self._play_next()
            if self.finished:
                self._reanchor()
                self.changed()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def close(self) -> None:
        self.stop()
        self.status = ConnectionStatus(master=self.master, phase=STOPPED)

    # ---------------------------------------------------------------------------- calls

    async def call(self, call: object) -> CallResult:
        return CallResult(False, READ_ONLY)

    async def get_state(self) -> CallResult:
        return CallResult(False, READ_ONLY)

    async def get_flags(self) -> CallResult:
        return CallResult(False, READ_ONLY)

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult:
        return CallResult(False, f"not killed: {READ_ONLY}")

    async def teardown(self, framework_id: str) -> CallResult:
        return CallResult(False, f"not torn down: {READ_ONLY}")

    async def pause_allocator(self) -> CallResult:
        self.pause()
        return CallResult(True, "replay paused")

    async def resume_allocator(self) -> CallResult:
        self.resume()
        return CallResult(True, "replay playing")

    async def run_allocation(self) -> CallResult:
        event = self.step()
        if event is None:
            return CallResult(True, "the end of the recording")
        return CallResult(True, f"stepped to event {self.position} of {self.total}")
