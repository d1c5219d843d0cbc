"""The HTTP edge's pure parts: RecordIO framing, Mesos's JSON rules, the bounded stream
buffers, protocol detection on the shared port, and the front door's string validation."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemons.common import protojson, recordio
from daemons.common.acceptor import HTTP2_PREFACE, classify, peer_of
from daemons.master.calls import check_strings
from daemons.master.http import Codec, HttpOutbox, RecordBuffer
from daemons.master.master import CallError
from daemons.proto import master_pb2, mesos_pb2, scheduler_pb2

# ----------------------------------------------------------------------------- RecordIO


def test_recordio_frames_length_newline_record() -> None:
    assert recordio.encode(b'{"type":"HEARTBEAT"}') == b'20\n{"type":"HEARTBEAT"}'
    assert recordio.encode(b"") == b"0\n"


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=1, max_value=50))
def test_recordio_decodes_whatever_the_pieces(records: list[bytes], piece: int) -> None:
    stream = b"".join(recordio.encode(r) for r in records)
    decoder = recordio.Decoder()
    out: list[bytes] = []
    for i in range(0, len(stream), piece):
        out += decoder.feed(stream[i : i + piece])
    assert out == records
    assert decoder.pending == 0


def test_recordio_refuses_garbage_and_oversized_records() -> None:
    with pytest.raises(recordio.RecordIOError, match="not a number"):
        recordio.Decoder().feed(b"12x\n")
    with pytest.raises(recordio.RecordIOError, match="longer than 19 digits"):
        recordio.Decoder().feed(b"1" * 25)
    with pytest.raises(recordio.RecordIOError, match="over the 10-byte limit"):
        recordio.Decoder(max_record=10).feed(b"11\n")


# ----------------------------------------------------------------------------- Mesos's JSON


def test_json_follows_mesos_rules() -> None:
    info = mesos_pb2.FrameworkInfo(name="fw", user="u")
    out = protojson.to_dict(info)
    # Unset fields with an explicit default are written, as stout's JSON::Protobuf does.
    assert out == {
        "user": "u", "name": "fw", "failover_timeout": 0.0, "checkpoint": False, "role": "*",
    }
    r = mesos_pb2.Resource(name="ports", type=mesos_pb2.Value.RANGES)
    r.ranges.range.add(begin=31000, end=32000)
    rd = protojson.to_dict(r)
    assert rd["ranges"] == {"range": [{"begin": 31000, "end": 32000}]}  # numbers, not strings
    assert rd["type"] == "RANGES"
    status = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_STARTING, uuid=b"\x00\xff")
    sd = protojson.to_dict(status)
    assert sd["state"] == "TASK_STARTING"  # value 0, but set: written
    assert base64.b64decode(sd["uuid"]) == b"\x00\xff"


def test_json_leaves_out_extensions_unless_asked() -> None:
    agent = master_pb2.Response.GetAgents.Agent(task_count=3, active=True)
    assert "task_count" not in protojson.to_dict(agent)
    assert protojson.to_dict(agent, extensions=True)["task_count"] == 3


def test_json_is_one_ascii_line() -> None:
    body = protojson.dumps(mesos_pb2.TaskID(value="é\nx"))
    assert b"\n" not in body and body.isascii()
    assert json.loads(body) == {"value": "é\nx"}


def test_json_parse_ignores_unknown_fields_and_says_what_is_wrong() -> None:
    call = protojson.parse(
        b'{"type":"ACCEPT","framework_id":{"value":"f"},"accept":{"offer_ids":[{"value":"o"}],'
        b'"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","slave_id":'
        b'{"value":"a"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":'
        b'[{"begin":1,"end":"2"}]}}]}]}}]}}',
        scheduler_pb2.Call,
    )
    assert call.type == scheduler_pb2.Call.ACCEPT
    task = call.accept.operations[0].launch.task_infos[0]
    assert task.resources[0].ranges.range[0].end == 2
    with pytest.raises(protojson.JsonError, match="^Failed to parse body into JSON"):
        protojson.parse(b"{not json", scheduler_pb2.Call)
    with pytest.raises(protojson.JsonError, match="^Failed to convert JSON into Call protobuf"):
        protojson.parse(b'{"accept":{"offer_ids":3}}', scheduler_pb2.Call)
    with pytest.raises(protojson.JsonError, match="expected a JSON object"):
        protojson.parse(b"[1]", scheduler_pb2.Call)


# ----------------------------------------------------------------------------- validation


def test_strings_are_checked_before_they_become_state() -> None:
    bad_utf8 = scheduler_pb2.Call()
    # Protobuf accepts invalid UTF-8 in a proto2 string field and hands it over as bytes.
    bad_utf8.ParseFromString(b"\x0a\x04\x0a\x02\xff\xfe")
    with pytest.raises(CallError, match="framework_id is not valid UTF-8"):
        check_strings(bad_utf8)
    long_id = scheduler_pb2.Call()
    long_id.kill.task_id.value = "t" * 257
    with pytest.raises(CallError, match="kill.task_id is longer than 255 bytes"):
        check_strings(long_id)
    control = scheduler_pb2.Call()
    control.framework_id.value = "a\x00b"
    with pytest.raises(CallError, match="ids may not hold"):
        check_strings(control)
    nested = mesos_pb2.ContainerID(value="c")
    for _ in range(40):
        nested = mesos_pb2.ContainerID(value="c", parent=nested)
    with pytest.raises(CallError, match="nests deeper"):
        check_strings(nested)
    fine = scheduler_pb2.Call()
    fine.subscribe.framework_info.name = "ünïcode ok"
    check_strings(fine)


# ----------------------------------------------------------------------------- streams


async def test_record_buffer_is_bounded_in_bytes() -> None:
    aborted: list[bool] = []
    buf = RecordBuffer(limit=100)
    buf.on_overflow = lambda: aborted.append(True)
    assert buf.put(b"x" * 500)  # one record bigger than the limit still goes (a snapshot)
    assert await buf.take() == recordio.encode(b"x" * 500)
    assert buf.put(b"y" * 40) and buf.put(b"z" * 40)
    assert not buf.put(b"w" * 40)  # 3 x 43 bytes > 100: cut off
    assert aborted == [True] and buf.overflowed
    assert await buf.take() is None


async def test_record_buffer_take_times_out_empty() -> None:
    buf = RecordBuffer()
    assert await buf.take(0.01) == b""
    buf.close()
    assert await buf.take(1) is None


async def test_http_outbox_encodes_in_the_clients_type_and_closes_when_behind() -> None:
    beat = scheduler_pb2.Event(type=scheduler_pb2.Event.HEARTBEAT)
    json_box = HttpOutbox("p", Codec("application/json", False))
    json_box.send(beat)
    assert await json_box.records.take() == recordio.encode(b'{"type":"HEARTBEAT"}')
    pb_box = HttpOutbox("p", Codec("application/x-protobuf", False))
    pb_box.send(beat)
    assert await pb_box.records.take() == recordio.encode(beat.SerializeToString())
    small = HttpOutbox("p", Codec("application/json", False), limit=30)
    for _ in range(5):
        small.send(beat)
    assert small.closed and "fell more than 30 bytes behind" in (small.error or "")


# ----------------------------------------------------------------------------- shared port


def test_protocol_detection_on_the_first_bytes() -> None:
    assert classify(b"") is None
    assert classify(b"P") is None
    assert classify(b"PRI * HTTP") is None
    assert classify(HTTP2_PREFACE) == "grpc"
    assert classify(HTTP2_PREFACE + b"\x00\x00") == "grpc"
    assert classify(b"PO") == "http"
    assert classify(b"GET / HTTP/1.1\r\n") == "http"
    assert classify(b"\x16\x03\x01") == "http"  # not h2c; TLS would need ALPN (later)


def test_peer_of_passes_unknown_peers_through() -> None:
    assert peer_of("ipv4:10.0.0.1:5000") == "ipv4:10.0.0.1:5000"
    assert peer_of("unix:/tmp/x") == "unix:/tmp/x"


async def test_shared_port_serves_both_protocols() -> None:
    """A toy HTTP protocol and a toy 'gRPC' echo server behind one port."""
    from daemons.common.acceptor import SharedPort

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(100)
        writer.write(b"echo:" + data + repr(writer.get_extra_info("peername")[1]).encode())
        await writer.drain()
        writer.close()

    upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
    up_port = upstream.sockets[0].getsockname()[1]

    class Http(asyncio.Protocol):
        def connection_made(self, transport):  # type: ignore[no-untyped-def]
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(b"http:" + data)
            self.transport.close()

    shared = SharedPort(Http, "127.0.0.1", up_port)
    port = await shared.start("127.0.0.1", 0)
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await r.read() == b"http:GET / HTTP/1.1\r\n\r\n"
        w.close()
        r, w = await asyncio.open_connection("127.0.0.1", port)
        client_port = w.get_extra_info("sockname")[1]
        w.write(HTTP2_PREFACE + b"hi")
        answer = await r.read()
        assert answer.startswith(b"echo:" + HTTP2_PREFACE + b"hi")
        relay_port = int(answer.rsplit(b"hi", 1)[1])
        # Only while the relay lives does its port stand for the client.
        w.close()
        assert relay_port != client_port
    finally:
        await shared.stop()
        upstream.close()
