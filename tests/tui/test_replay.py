"""Record a real offer cycle with the TUI, then replay it and step through it.

A real master and agent; the TUI runs with a recorder (what `mesos-tui --record FILE` does)
while a framework is offered the agent and accepts the offer with a task. Then `ReplayApp`
(what `mesos-tui replay FILE` runs) plays the file back without any cluster, paused, and the
test steps event by event (`.`, and `n` in the offers view) asserting what the offers view
shows at each step: the offer outstanding once OFFER_SENT is played, accepted with its task
once OFFER_ACCEPTED is. Actions that would change a cluster say they are disabled.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.client.recording import Recorder, read_recording
from mesos_tui.client.scheduler import task_info
from mesos_tui.tui.app import MesosApp
from mesos_tui.tui.replay import ReplayApp
from mesos_tui.tui.widgets.virtual_table import VirtualTable
from tests.cluster import Cluster

Event = master_pb2.Event
# Where the screenshots go: a temporary folder, or screenshots/ when asked
# (MESOS_TUI_SCREENSHOTS=screenshots): a test run leaves the repository as it was.
SCREENSHOTS = os.environ.get("MESOS_TUI_SCREENSHOTS", "")
DEADLINE = 30.0


async def until(pilot: Any, what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def screen_text(app: MesosApp) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


def rows(app: MesosApp, table_id: str) -> list[Any]:
    return list(app.query_one(f"#{table_id}", VirtualTable).order)


async def record_offer_cycle(cluster: Cluster, path: Path) -> tuple[str, str]:
    """Record, through the TUI, a framework accepting an offer with a task: (offer id, task
    id)."""
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:512;disk:512")
    recorder = Recorder(path, cluster.master_address)
    recorder.open()
    app = MesosApp(cluster.master_address, record=recorder)
    async with app.run_test(size=(160, 45)) as pilot:
        await until(pilot, "the snapshot", lambda: app.mirror.subscribed)
        driver, rec = await cluster.framework("lesson")
        offer = (await rec.next("offers"))[0]
        info = task_info("t1", "t1", offer.agent_id.value, "sleep 30", "cpus:0.5;mem:32")
        await driver.launch([offer.id.value], [info])
        await rec.next("update", lambda s: s.state == mesos_pb2.TASK_RUNNING)
        oid = offer.id.value
        await until(pilot, "the accepted offer in the TUI", lambda: any(
            r.id == oid and r.outcome == "accepted" for r in app.mirror.timeline))
    assert recorder.stopped == "quit"
    return oid, "t1"


async def test_replay_steps_through_a_recorded_offer_cycle(cluster: Cluster,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "lesson.jsonl"
    oid, tid = await record_offer_cycle(cluster, path)
    await cluster.close()  # the replay needs no cluster

    recording = read_recording(path)
    assert recording.end == "quit" and recording.extensions
    events = [recording.event(i) for i in range(len(recording))]
    assert events[0].type == Event.SUBSCRIBED
    sent_at = next(i for i, e in enumerate(events)
                   if e.type == Event.OFFER_SENT and e.offer_sent.offer.id.value == oid)
    accepted_at = next(i for i, e in enumerate(events)
                       if e.type == Event.OFFER_ACCEPTED and e.offer_accepted.offer_id.value == oid)
    assert sent_at < accepted_at

    app = ReplayApp(recording, paused=True)
    async with app.run_test(size=(160, 45)) as pilot:
        replay = app.replay
        assert replay is not None
        await until(pilot, "the snapshot played", lambda: replay.position == 1)
        await pilot.press("4")
        await pilot.pause()
        view = app.view("offers")
        # Step (`.`) up to the event before the offer: it is not on screen yet.
        while replay.position < sent_at:
            await pilot.press("full_stop")
        await pilot.pause()
        assert oid not in app.mirror.offers
        # The offer is sent: outstanding in the offers view.
        await pilot.press("full_stop")
        await until(pilot, "the offer outstanding on screen",
                    lambda: oid in rows(app, "offers-table"))
        assert replay.position == sent_at + 1
        assert app.mirror.offers[oid].outcome == "outstanding"
        assert "PAUSED" in str(app.bar_text()) and f"event {sent_at + 1}/" in str(app.bar_text())
        # Step with the offers view's own key (n: the allocator's step, live) to the accept.
        view.focus()
        while replay.position <= accepted_at:
            before = replay.position
            await pilot.press("n")
            await until(pilot, "the step", lambda b=before: replay.position == b + 1)
        await until(pilot, "the offer accepted on screen",
                    lambda: oid not in rows(app, "offers-table"))
        record = next(r for r in app.mirror.timeline if r.id == oid)
        assert record.outcome == "accepted" and tid in record.task_ids
        await pilot.pause()
        assert "accepted" in screen_text(app)
        out = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
        out.mkdir(exist_ok=True)
        app.save_screenshot(str(out / "replay-offers.svg"))
        # Nothing that would change a cluster: kill and the DRF example say so.
        await pilot.press("ctrl+k")
        await pilot.press("d")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Not killed: this is a replay") for m in messages), messages
        assert any("The DRF example runs on a cluster" in m for m in messages), messages
        # Playing on at any speed reaches the end of the recording.
        await pilot.press("plus", "plus", "plus", "plus", "plus", "plus")
        assert replay.speed == 64
        await pilot.press("p")
        await until(pilot, "the end of the recording", lambda: replay.finished)
        assert "END" in str(app.bar_text())


def synthetic_recording(path: Path, extensions: bool) -> Path:
    """A small recording written by the recorder itself: a snapshot, then heartbeats."""
    from mesos_tui.tui import synthetic

    times = iter([100.0, 100.0, 101.0, 102.0, 103.0])
    recorder = Recorder(path, "mesos.example:5050", clock=lambda: next(times))
    recorder.open()
    recorder.record(synthetic.snapshot(agents=3, frameworks=2, tasks=6, offers=0, now=100.0),
                    extensions)
    recorder.record(Event(type=Event.HEARTBEAT), extensions)
    recorder.record(Event(type=Event.HEARTBEAT), extensions)
    recorder.close("quit")
    return path


async def test_a_recording_without_the_offer_cycle_replays_saying_so(tmp_path: Path) -> None:
    recording = read_recording(synthetic_recording(tmp_path / "mesos.jsonl", False))
    app = ReplayApp(recording, paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the snapshot", lambda: app.mirror.subscribed)
        await pilot.press("4")
        await pilot.pause()
        assert not app.mirror.streams_extensions
        assert "NOT STREAMED" in str(app.query_one("#allocator-panel").render())
        assert "recorded without the offer cycle" in str(app.bar_text())


def test_replay_of_a_bad_file_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"mesos_tui_recording": 1, "started": 1}\n{"t": 2, "event": {"ty')
    result = subprocess.run([sys.executable, "-m", "mesos_tui.cli", "replay", str(bad)],
                            capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is truncated: line 2" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
