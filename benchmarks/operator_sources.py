"""What reading the master over HTTP and recording a lesson cost, beside the gRPC baseline.

On a synthetic cluster (default 1,000 agents, 10,000 tasks) and a stream of events (task
updates, new tasks, offers sent and ended), measured in this one run:

- decoding the SUBSCRIBED snapshot as the HTTP client does (RecordIO of protobuf, which it
  asks for) and as it would if a master answered JSON (RecordIO of Mesos JSON), against
  protobuf's binary decode alone (what the gRPC client does): the cost of watching over HTTP;
- decoding the stream's events both ways, in events per second;
- recording: bytes per event and events per second written (`Recorder`), and reading the
  file back (`read_recording`, every line checked), in events per second.

    .venv/bin/python benchmarks/operator_sources.py [--agents 1000] [--tasks 10000]
                                                     [--events 20000] [--json]

No targets: figures to compare (JSON decoding is expected to cost far more than protobuf's;
that is why the HTTP client asks for protobuf and the recorder writes it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemons.common import protojson, recordio  # noqa: E402
from daemons.proto import master_pb2  # noqa: E402
from mesos_tui.client.recording import Recorder, read_recording  # noqa: E402
from mesos_tui.tui import synthetic  # noqa: E402

Event = master_pb2.Event


def timed(fn) -> float:  # noqa: ANN001
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=1000)
    p.add_argument("--tasks", type=int, default=10000)
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--json", action="store_true")
    ns = p.parse_args()

    snapshot = synthetic.snapshot(agents=ns.agents, frameworks=20, tasks=ns.tasks, offers=50)
    stream = synthetic.EventStream(agents=ns.agents, frameworks=20, tasks=ns.tasks)
    makers = [stream.task_update, stream.task_update, stream.task_added, stream.offer_sent,
              stream.offer_ended]
    events = [makers[i % len(makers)]() for i in range(ns.events)]

    snap_pb = snapshot.SerializeToString()
    snap_json = recordio.encode(protojson.dumps(snapshot, extensions=True))
    pb_snapshot = timed(lambda: Event().ParseFromString(snap_pb))

    def http_snapshot() -> None:
        for record in recordio.Decoder(max_record=1 << 30).feed(snap_json):
            protojson.parse(record, Event, "Event")

    json_snapshot = timed(http_snapshot)
    snap_framed = recordio.encode(snap_pb)

    def http_pb_snapshot() -> None:
        for record in recordio.Decoder(max_record=1 << 30).feed(snap_framed):
            Event().ParseFromString(record)

    http_pb_snapshot_s = timed(http_pb_snapshot)

    pb_events = [e.SerializeToString() for e in events]
    json_stream = b"".join(recordio.encode(protojson.dumps(e, extensions=True)) for e in events)

    def pb_decode() -> None:
        for data in pb_events:
            Event().ParseFromString(data)

    def json_decode() -> None:
        for record in recordio.Decoder().feed(json_stream):
            protojson.parse(record, Event, "Event")

    pb_stream_s = timed(pb_decode)
    json_stream_s = timed(json_decode)
    framed_stream = b"".join(recordio.encode(d) for d in pb_events)

    def http_pb_decode() -> None:
        for record in recordio.Decoder().feed(framed_stream):
            Event().ParseFromString(record)

    http_pb_stream_s = timed(http_pb_decode)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lesson.jsonl"
        recorder = Recorder(path, "bench", max_bytes=1 << 40)
        recorder.open()

        def record() -> None:
            recorder.record(snapshot, True)
            for e in events:
                recorder.record(e, True)
            recorder.close("quit")

        write_s = timed(record)
        size = path.stat().st_size
        read_s = timed(lambda: read_recording(path))

    n = len(events)
    figures = {
        "agents": ns.agents, "tasks": ns.tasks, "events": n,
        "snapshot_bytes_protobuf": len(snap_pb), "snapshot_bytes_json": len(snap_json),
        "snapshot_decode_ms_protobuf": round(pb_snapshot * 1000, 1),
        "snapshot_decode_ms_http_protobuf": round(http_pb_snapshot_s * 1000, 1),
        "snapshot_decode_ms_http_json": round(json_snapshot * 1000, 1),
        "events_per_s_protobuf": round(n / pb_stream_s),
        "events_per_s_http_protobuf": round(n / http_pb_stream_s),
        "events_per_s_http_json": round(n / json_stream_s),
        "recording_bytes": size,
        "recording_bytes_per_event": round((size - len(snap_json)) / n),
        "recording_write_events_per_s": round((n + 1) / write_s),
        "recording_read_events_per_s": round((n + 1) / read_s),
    }
    if ns.json:
        print(json.dumps(figures))
        return 0
    print(f"cluster: {ns.agents} agents, {ns.tasks} tasks; stream of {n} events")
    print(f"snapshot   protobuf (gRPC baseline) {figures['snapshot_decode_ms_protobuf']:>8} ms "
          f"{len(snap_pb) / 1e6:6.1f} MB")
    print(f"           HTTP, protobuf (default) {figures['snapshot_decode_ms_http_protobuf']:>8} ms "
          f"{len(snap_framed) / 1e6:6.1f} MB  "
          f"({http_pb_snapshot_s / pb_snapshot:.1f}x the baseline)")
    print(f"           HTTP, Mesos JSON         {figures['snapshot_decode_ms_http_json']:>8} ms "
          f"{len(snap_json) / 1e6:6.1f} MB  "
          f"({json_snapshot / pb_snapshot:.1f}x the baseline)")
    print(f"events     protobuf (gRPC baseline) {figures['events_per_s_protobuf']:>8} /s")
    print(f"           HTTP, protobuf (default) {figures['events_per_s_http_protobuf']:>8} /s  "
          f"({http_pb_stream_s / pb_stream_s:.1f}x the baseline's time)")
    print(f"           HTTP, Mesos JSON         {figures['events_per_s_http_json']:>8} /s  "
          f"({pb_stream_s and json_stream_s / pb_stream_s:.1f}x the baseline's time)")
    print(f"recording  {size / 1e6:.1f} MB, {figures['recording_bytes_per_event']} bytes/event "
          f"after the snapshot; written at {figures['recording_write_events_per_s']} events/s, "
          f"read back (checked) at {figures['recording_read_events_per_s']} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
