"""The recording format: what the recorder writes reads back the same, and every kind of bad
or truncated file is refused with one line naming the file and what is wrong. The replay
player steps, pauses and keeps the recording's time (pure code, a fake monotonic clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemons.proto import master_pb2
from mesos_tui.client.recording import (
    FORMAT_KEY,
    Recorder,
    RecordingError,
    event_json,
    read_recording,
)
from mesos_tui.client.replay import ReplaySource
from mesos_tui.tui import synthetic

Event = master_pb2.Event
HEADER = {FORMAT_KEY: 1, "master": "127.0.0.1:5050", "started": 100.0, "extensions": True}


def subscribed() -> Event:
    return synthetic.snapshot(agents=2, frameworks=1, tasks=3, offers=1, now=100.0)


def heartbeat() -> Event:
    return Event(type=Event.HEARTBEAT)


def write(path: Path, *lines: object, raw_tail: str = "") -> Path:
    text = "".join((json.dumps(x) if not isinstance(x, str) else x) + "\n" for x in lines)
    path.write_text(text + raw_tail)
    return path


def line(t: float, event: Event) -> dict:
    return {"t": t, "event": event_json(event)}


def test_what_the_recorder_writes_reads_back(tmp_path: Path) -> None:
    clock = iter([100.0, 101.5, 102.0, 103.0])
    rec = Recorder(tmp_path / "r.jsonl", "127.0.0.1:5050", clock=lambda: next(clock))
    rec.open()
    snap = subscribed()
    rec.record(snap, True)
    rec.record(heartbeat(), True)
    rec.record(heartbeat(), True)
    rec.close("quit")
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["type"] == "SUBSCRIBED"  # for people and grep
    r = read_recording(tmp_path / "r.jsonl")
    assert (r.master, r.started, r.extensions, r.end) == ("127.0.0.1:5050", 100.0, True, "quit")
    assert [t for t, _ in r.events] == [100.0, 101.5, 102.0]
    assert r.event(0) == snap
    assert r.duration == 2.0


def test_the_recorder_stops_at_its_bound_and_says_so(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "r.jsonl", "m", max_bytes=2000, clock=lambda: 1.0)
    rec.open()
    rec.record(Event(type=Event.SUBSCRIBED), True)
    for _ in range(100):
        rec.record(heartbeat(), True)
    assert rec.stopped is not None and "size limit" in rec.stopped
    assert (tmp_path / "r.jsonl").stat().st_size <= 2000 + 200  # the end line
    assert read_recording(tmp_path / "r.jsonl").end.startswith("size limit")


def test_the_recorder_never_overwrites_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes\n")
    with pytest.raises(RecordingError, match="not a mesos-tui recording"):
        Recorder(precious, "m").open()
    assert precious.read_text() == "my notes\n"
    with pytest.raises(RecordingError, match="is a directory"):
        Recorder(tmp_path, "m").open()


BAD = {
    "empty": ((), "", "is empty"),
    "not json": (("hello world",), "", "not a mesos-tui recording: its first line is not JSON"),
    "no header": (({"t": 1, "event": {}},), "", "its first line is not the recording header"),
    "future version": (({**HEADER, FORMAT_KEY: 7},), "", "format 7; this mesos-tui reads format 1"),
    "bad started": (({**HEADER, "started": "noon"},), "", "`started` is not a time"),
    "no events": ((HEADER,), "", "holds no events"),
    "line not json": ((HEADER, "{oops", ), "", "line 2 is not JSON"),
    "not an object": ((HEADER, [1, 2]), "", "line 2: expected an object"),
    "no time": ((HEADER, {"event": {"type": "HEARTBEAT"}}), "", "`t` (the time, in seconds)"),
    "time is text": ((HEADER, {"t": "1", "event": {}}), "", "`t` (the time"),
    "no event": ((HEADER, {"t": 1}), "", "expected {\"t\": seconds, \"pb\": base64}"),
    "pb not base64": ((HEADER, {"t": 1, "pb": "%%%"}), "", "`pb` is not a base64 operator event"),
    "pb not an event": ((HEADER, {"t": 1, "pb": "/////w=="}), "",
                        "`pb` is not a base64 operator event"),
    "not an event": ((HEADER, {"t": 1, "event": {"type": "NO_SUCH_TYPE"}}), "",
                     "line 2: not an operator event"),
    "bad field": ((HEADER, {"t": 1, "event": {"type": "SUBSCRIBED", "subscribed": 5}}), "",
                  "line 2: not an operator event"),
    "no snapshot first": ((HEADER, {"t": 1, "event": {"type": "HEARTBEAT"}}), "",
                          "starts with the master's snapshot (SUBSCRIBED), not HEARTBEAT"),
    "blank line": ((HEADER, "",), "", "line 2 is empty"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_one_clear_error(tmp_path: Path, case: str) -> None:
    lines, tail, expected = BAD[case]
    path = write(tmp_path / "bad.jsonl", *lines, raw_tail=tail)
    with pytest.raises(RecordingError) as e:
        read_recording(path)
    message = str(e.value)
    assert expected in message, message
    assert "\n" not in message and str(path) in message


def test_time_going_backwards_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", HEADER, line(5, subscribed()), line(4, heartbeat()))
    with pytest.raises(RecordingError, match="line 3: time goes backwards"):
        read_recording(path)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    whole = json.dumps(line(6, heartbeat()))
    path = write(tmp_path / "r.jsonl", HEADER, line(5, subscribed()), raw_tail=whole[:20])
    with pytest.raises(RecordingError, match="is truncated: line 3 stops in the middle"):
        read_recording(path)


def test_a_file_cut_after_a_whole_line_plays_to_its_last_event(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", HEADER, line(5, subscribed()), line(6, heartbeat()))
    r = read_recording(path)
    assert len(r.events) == 2 and r.end == ""


def test_lines_after_the_end_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", HEADER, line(5, subscribed()), {"t": 6, "end": "quit"},
                 line(7, heartbeat()))
    with pytest.raises(RecordingError, match="line 4: lines after the end line"):
        read_recording(path)


def test_not_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(json.dumps(HEADER).encode() + b"\n\xff\xfe\n")
    with pytest.raises(RecordingError, match="line 2 is not JSON"):
        read_recording(path)
    with pytest.raises(RecordingError, match="cannot read .*: No such file"):
        read_recording(tmp_path / "missing.jsonl")
    with pytest.raises(RecordingError, match="is a directory"):
        read_recording(tmp_path)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_replay_steps_pauses_and_keeps_the_recorded_time(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", HEADER, line(100, subscribed()), line(110, heartbeat()),
                 line(130, heartbeat()))
    played: list[Event] = []
    mono = FakeMonotonic()
    r = ReplaySource(read_recording(path), played.append, paused=True, monotonic=mono)
    assert r.clock() == 100
    assert r.step() is not None and r.position == 1 and r.paused
    assert r.step() is not None and r.clock() == 110
    mono.now += 50
    assert r.clock() == 110  # paused: the recording's time stands still
    r.toggle()  # playing
    mono.now += 5
    assert r.clock() == 115
    r.faster()  # x2 from here
    mono.now += 5
    assert r.clock() == 125
    assert r.slower() == 1.0
    assert r.step() is not None and r.finished and r.clock() == 130
    assert r.step() is None
    assert [e.type for e in played] == [Event.SUBSCRIBED, Event.HEARTBEAT, Event.HEARTBEAT]
    result = await r.kill_task("t1")
    assert not result.ok and "replay" in result.message
