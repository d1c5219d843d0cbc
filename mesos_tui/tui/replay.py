"""`mesos-tui replay FILE`: a recording played back into the same TUI, without a cluster.

`ReplayApp` is `MesosApp` fed by a `ReplaySource` instead of a master: every view works as it
did live (the offers view above all: it is the teaching view), and a bar at the top says it is
a replay, where it is (event n of N, the recorded time, how far in) and how fast it plays.

Keys, everywhere: `p` pauses and resumes, `.` plays the next event and pauses there, `+`
and `-` play faster and slower. In the offers view, its own keys do the same (`space` pauses
and resumes, `n` steps), so a lesson is taught with the keys used live.

Nothing here changes a cluster: killing, launching, the DRF example and the allocator's
controls say in one line that this is a replay.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

from mesos_tui.client.mirror import ClusterMirror, TaskView
from mesos_tui.client.recording import Recording
from mesos_tui.client.replay import READ_ONLY, ReplaySource
from mesos_tui.tui import format as tui_format
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.commands import CommandResult


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _speed(speed: float) -> str:
    return f"×{speed:g}"


class ReplayBar(Static):
    """One line: a replay, where it is, how fast."""

    DEFAULT_CSS = """
    ReplayBar { dock: top; height: 1; background: $warning 30%; padding: 0 1; }
    """


class ReplayApp(MesosApp):
    """The TUI over a recording."""

    TITLE = "mesos-tui replay"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "replay_toggle", "Play/pause", id="replay.pause"),
        Binding("full_stop", "replay_step", "Next event", id="replay.step"),
        Binding("plus,right_square_bracket", "replay_faster", "Faster", id="replay.faster"),
        Binding("minus,left_square_bracket", "replay_slower", "Slower", id="replay.slower"),
    ]

    def __init__(self, recording: Recording, *, speed: float = 1.0, paused: bool = False,
                 **kwargs: Any) -> None:
        self.recording = recording
        self.read_only = READ_ONLY
        self.replay: ReplaySource | None = None

        def clock() -> float:
            return self.replay.clock() if self.replay is not None else recording.started

        def source(on_event: Any, on_status: Any) -> ReplaySource:
            self.replay = ReplaySource(recording, on_event, on_status, speed=speed,
                                       paused=paused)
            self.replay.changed = self._replay_changed
            return self.replay

        kwargs.setdefault("mirror", ClusterMirror(clock=clock))
        super().__init__(None, source=source, **kwargs)
        self.shell_session.read_only = READ_ONLY
        self._bar_dirty = True
        self._saved_clock = tui_format.clock

    def compose(self) -> Any:
        self.replay_bar = ReplayBar(id="replay-bar")
        yield self.replay_bar
        yield from super().compose()

    def on_mount(self) -> None:
        # Ages (of offers, of tasks) are measured against the recording's time, not today's.
        self._saved_clock = tui_format.clock
        tui_format.clock = clock = self.mirror.clock
        self.replay_clock = clock
        # (Textual runs MesosApp.on_mount too, after this one.)
        self.bar_timer = self.set_interval(0.25, self.update_bar)
        self.update_bar()

    async def on_unmount(self) -> None:
        self.bar_timer.stop()
        if tui_format.clock is self.replay_clock:
            tui_format.clock = self._saved_clock

    def help_sections(self, everything: bool = False) -> list[tuple[str, list[Binding]]]:
        replay = [b for b in ReplayApp.BINDINGS if isinstance(b, Binding)]
        return [("Replay", replay), *super().help_sections(everything)]

    # ------------------------------------------------------------------------- the bar

    def _replay_changed(self) -> None:
        self._bar_dirty = True
        if self.is_running:
            with contextlib.suppress(Exception):
                self.call_later(self.update_bar)

    def bar_text(self) -> Text:
        r = self.replay
        rec = self.recording
        text = Text(no_wrap=True, overflow="ellipsis")
        if r is None:
            return text
        if r.finished and not r.paused:
            text.append(" ■ END ", style="bold reverse")
        elif r.paused:
            text.append(" ‖ PAUSED ", style="bold reverse yellow")
        else:
            text.append(" ▶ REPLAY ", style="bold reverse green")
        now = r.clock()
        text.append(f" {Path(rec.path).name}", style="bold")
        text.append(f"  event {r.position}/{r.total}")
        text.append(f"  {time.strftime('%H:%M:%S', time.localtime(now))}")
        text.append(f" (+{_duration(r.elapsed)} of {_duration(rec.duration)})", style="dim")
        text.append(f"  {_speed(r.speed)}", style="bold")
        if not rec.extensions:
            text.append("  recorded without the offer cycle", style="yellow")
        text.append("   p play/pause · . next event · +/- speed", style="dim")
        return text

    def update_bar(self) -> None:
        with contextlib.suppress(Exception):
            self.replay_bar.update(self.bar_text())
            self._bar_dirty = False

    # ---------------------------------------------------------------------- controls

    def action_replay_toggle(self) -> None:
        if self.replay is not None:
            paused = self.replay.toggle()
            self.notify("Replay paused." if paused else "Replay playing.", timeout=2)

    def action_replay_step(self) -> None:
        if self.replay is None:
            return
        if self.replay.step() is None:
            self.notify("The end of the recording.", timeout=3)

    def action_replay_faster(self) -> None:
        if self.replay is not None:
            self.notify(f"Replay speed {_speed(self.replay.faster())}", timeout=2)

    def action_replay_slower(self) -> None:
        if self.replay is not None:
            self.notify(f"Replay speed {_speed(self.replay.slower())}", timeout=2)

    async def _allocator(self, what: str) -> CommandResult:
        """The offers view's pause/step keys (and `:pause`, `:step`) drive the replay."""
        r = self.replay
        if r is None:
            return CommandResult(False, READ_ONLY)
        if what == "step":
            if r.step() is None:
                return CommandResult(True, "The end of the recording.")
            return CommandResult(True, f"Event {r.position} of {r.total}.")
        paused = r.toggle()
        return CommandResult(True, "Replay paused: n plays the next event, space resumes."
                             if paused else "Replay playing.")

    def action_kill(self) -> None:
        self.notify(f"Not killed: {READ_ONLY}.", severity="warning", markup=False)

    def open_logs(self, task: TaskView) -> None:
        self.notify("Task logs are not part of a recording: a replay shows the operator "
                    "stream only.", severity="warning", markup=False)


def run_replay(recording: Recording, speed: float = 1.0, paused: bool = False) -> int:
    app = ReplayApp(recording, speed=speed, paused=paused)
    app.run()
    return app.return_code or 0
