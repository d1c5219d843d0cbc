"""Recordings of the operator stream, for lessons: `mesos-tui --record FILE` writes one, and
`mesos-tui replay FILE` plays it back (`mesos_tui.client.replay`).

The format is JSON lines (UTF-8, one object per line, `\\n` after each):

    {"mesos_tui_recording": 1, "master": "127.0.0.1:5050", "started": 1700000000.0,
     "extensions": true}
    {"t": 1700000000.25, "type": "SUBSCRIBED", "pb": "CAEShg..."}
    {"t": 1700000001.02, "type": "OFFER_SENT", "pb": "CGUS..."}
    {"t": 1700000001.40, "event": {"type": "OFFER_ACCEPTED", "offer_accepted": {...}}}
    ...
    {"t": 1700000090.00, "end": "stopped"}

- The first line is the header: the format version (1), the master recorded, when recording
  started (seconds since the epoch) and whether the master streamed this project's extra
  events (the offer cycle, usage, allocation), so a replay says what an Apache Mesos master
  did not stream, as the live view did.
- Then one line per operator event as it was received, `t` its arrival time (seconds since the
  epoch), and the operator `Event` (master.proto, Mesos's field numbers and names) either as
  `pb`, its protobuf encoding in base64 (what the recorder writes, with `type` beside it for
  people and grep: protobuf decodes about a hundred times faster than protobuf's JSON in
  Python, so an hour's lesson loads in seconds), or as `event`, protobuf's JSON mapping (what
  a person writes or edits by hand; read too). The first event is the master's snapshot
  (SUBSCRIBED); after a reconnection, a new SUBSCRIBED starts afresh, as it did live.
- An optional last line `{"t": ..., "end": "<why>"}` says the recording ended on purpose
  (quit, or the size bound was reached). Without it the recorder was stopped short (killed):
  a file that ends on a whole line still plays to its last event; one whose last line stops
  in the middle of an event is refused as truncated.

Bounds: a recording stops at `max_bytes` (default 256 MB, `--record_max_bytes`) with an `end`
line saying so; one event line may be at most 64 MB; a reader refuses files over 1 GB, and
holds what it read encoded (about three quarters of the file's size in memory).
Anything else (not JSON, a line that is not an event, time running backwards, a line cut off
in the middle) is refused by `read_recording` with one `RecordingError` line that names the
file and line.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from daemons.proto import master_pb2

Event = master_pb2.Event

FORMAT_KEY = "mesos_tui_recording"
FORMAT_VERSION = 1
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024 * 1024


class RecordingError(Exception):
    """A recording that cannot be written or read, in one line."""


def event_json(event: Event) -> dict[str, Any]:
    return json_format.MessageToDict(event, preserving_proto_field_name=True)


@dataclass(slots=True)
class Recording:
    """A recording, read and checked."""

    path: str
    master: str
    started: float
    extensions: bool
    # (time, the event's protobuf encoding): held encoded (checked when read, decoded again
    # when played), so a recording costs about its size in memory, not Python objects' many.
    events: list[tuple[float, bytes]] = field(default_factory=list)
    end: str = ""  # why it ended ("" if it was cut off)

    def event(self, index: int) -> Event:
        return Event.FromString(self.events[index][1])

    def __len__(self) -> int:
        return len(self.events)

    @property
    def duration(self) -> float:
        return self.events[-1][0] - self.events[0][0] if self.events else 0.0


def _is_recording(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            first = f.readline(4096)
        return json.loads(first).get(FORMAT_KEY) is not None
    except (OSError, ValueError, AttributeError):
        return False


class Recorder:
    """Writes the operator stream to a recording, line by line, up to `max_bytes`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        master: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.master = master
        self.max_bytes = max_bytes
        self.clock = clock
        self.written = 0
        self.events = 0
        self.stopped: str | None = None  # why it stopped (None while it records)
        self._file: TextIO | None = None
        self._extensions: bool | None = None

    def open(self) -> None:
        """Create the file (an existing file is overwritten only if it is a recording);
        RecordingError if it cannot be."""
        if self.path.is_dir():
            raise RecordingError(f"cannot record to {self.path}: it is a directory")
        if self.path.exists() and self.path.stat().st_size and not _is_recording(self.path):
            raise RecordingError(
                f"cannot record to {self.path}: it exists and is not a mesos-tui recording "
                "(choose another name; nothing was overwritten)")
        try:
            self._file = self.path.open("w", encoding="utf-8", newline="\n")
        except OSError as e:
            raise RecordingError(f"cannot record to {self.path}: {e.strerror or e}") from None

    def _write(self, obj: dict[str, Any]) -> bool:
        if self._file is None:
            return False
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
        size = len(line.encode("utf-8"))
        if size > MAX_LINE_BYTES or self.written + size > self.max_bytes:
            self.close(f"size limit of {self.max_bytes} bytes reached")
            return False
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as e:
            self.stopped = f"write failed: {e.strerror or e}"
            self._close_file()
            return False
        self.written += size
        return True

    def record(self, event: Event, extensions: bool) -> None:
        """Append one event (writing the header before the first)."""
        if self._file is None or self.stopped is not None:
            return
        now = self.clock()
        if self._extensions is None:
            self._extensions = extensions
            if not self._write({FORMAT_KEY: FORMAT_VERSION, "master": self.master,
                                "started": now, "extensions": extensions}):
                return
        if self._write({"t": now, "type": _type_name(event.type),
                        "pb": base64.b64encode(event.SerializeToString()).decode("ascii")}):
            self.events += 1

    def close(self, why: str = "stopped") -> None:
        if self._file is None:
            return
        if self.stopped is None:
            self.stopped = why
            if self._extensions is not None:
                line = json.dumps({"t": self.clock(), "end": why}) + "\n"
                try:
                    self._file.write(line)
                except OSError:
                    pass
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """The recording at `path`, every line checked; RecordingError (one line naming the file
    and the line) if it is not a whole, well-formed recording."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise RecordingError(f"{name} is a directory, not a recording")
        f = p.open("rb")
    except OSError as e:
        raise RecordingError(f"cannot read {name}: {e.strerror or e}") from None
    if size > MAX_FILE_BYTES:
        f.close()
        raise RecordingError(f"{name} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit "
                             "of a recording")
    recording: Recording | None = None
    last_t = -math.inf
    number = 0
    with f:
        while True:
            raw = f.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            where = f"{name} line {number}"
            if len(raw) > MAX_LINE_BYTES:
                raise RecordingError(f"{where} is over {MAX_LINE_BYTES} bytes")
            cut = not raw.endswith(b"\n")
            if not raw.strip():
                if cut:
                    break
                raise RecordingError(f"{where} is empty")
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                if cut:
                    raise RecordingError(
                        f"{name} is truncated: line {number} stops in the middle of an event "
                        "(the recording was cut off while it was written)") from None
                if recording is None:
                    raise RecordingError(
                        f"{name} is not a mesos-tui recording: its first line is not JSON"
                    ) from None
                raise RecordingError(f"{where} is not JSON: {e}") from None
            if recording is None:
                recording = _header(obj, name)
                continue
            if not isinstance(obj, dict):
                raise RecordingError(f"{where}: expected an object, found {type(obj).__name__}")
            t = obj.get("t")
            if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t):
                raise RecordingError(f"{where}: `t` (the time, in seconds) is missing or not "
                                     "a number")
            if t < last_t:
                raise RecordingError(f"{where}: time goes backwards ({t} after {last_t})")
            last_t = t
            if "end" in obj:
                recording.end = str(obj["end"]) or "stopped"
                extra = f.readline(1)
                if extra.strip():
                    raise RecordingError(f"{name} line {number + 1}: lines after the end line")
                break
            event = _event(obj, where)
            if not recording.events and event.type != Event.SUBSCRIBED:
                raise RecordingError(
                    f"{where}: a recording starts with the master's snapshot (SUBSCRIBED), "
                    f"not {_type_name(event.type)}")
            recording.events.append((float(t), event.SerializeToString()))
    if recording is None:
        raise RecordingError(f"{name} is empty: not a mesos-tui recording")
    if not recording.events:
        raise RecordingError(f"{name} holds no events (the recording ended before the master "
                             "answered)")
    return recording


def _event(obj: dict[str, Any], where: str) -> Event:
    """The Event of one line: `pb` (base64 protobuf) or `event` (JSON mapping)."""
    event = Event()
    packed = obj.get("pb")
    if isinstance(packed, str):
        try:
            event.ParseFromString(base64.b64decode(packed, validate=True))
        except (binascii.Error, ValueError, DecodeError, RecursionError) as e:
            raise RecordingError(f"{where}: `pb` is not a base64 operator event: {e}") from None
        return event
    body = obj.get("event")
    if not isinstance(body, dict):
        raise RecordingError(
            f"{where}: expected {{\"t\": seconds, \"pb\": base64}} or {{\"t\": seconds, "
            "\"event\": {...}}")
    try:
        json_format.ParseDict(body, event)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RecordingError(f"{where}: not an operator event: {first}") from None
    return event


def _type_name(value: int) -> str:
    try:
        return Event.Type.Name(value)
    except ValueError:
        return str(value)


def _header(obj: Any, name: str) -> Recording:
    if not isinstance(obj, dict) or FORMAT_KEY not in obj:
        raise RecordingError(f"{name} is not a mesos-tui recording: its first line is not the "
                             "recording header")
    version = obj.get(FORMAT_KEY)
    if version != FORMAT_VERSION:
        raise RecordingError(f"{name} is a recording of format {version!r}; this mesos-tui "
                             f"reads format {FORMAT_VERSION}")
    started = obj.get("started")
    if not isinstance(started, int | float) or isinstance(started, bool) or not math.isfinite(
            started):
        raise RecordingError(f"{name}: the header's `started` is not a time in seconds")
    master = obj.get("master")
    return Recording(
        path=name,
        master=master if isinstance(master, str) else "",
        started=float(started),
        extensions=bool(obj.get("extensions", True)),
    )
