"""Which operator source a `--master` string picks, and how a bad one is refused."""

from __future__ import annotations

import pytest

from daemons.common.detector import DetectorError
from mesos_tui.client.http_operator import HttpOperatorClient, check_url
from mesos_tui.client.operator import OperatorClient
from mesos_tui.client.sources import check_operator_master, operator_source


@pytest.mark.parametrize(("given", "normal"), [
    ("http://127.0.0.1:5050", "http://127.0.0.1:5050"),
    ("http://127.0.0.1:5050/", "http://127.0.0.1:5050"),
    ("HTTP://Master.Example:5050/api/v1", "http://master.example:5050"),
    ("https://m.example/mesos/master/", "https://m.example:443/mesos"),
    ("http://[::1]:5050", "http://[::1]:5050"),
])
def test_urls_are_normalised(given: str, normal: str) -> None:
    assert check_url(given) == normal
    assert check_operator_master(given) == normal


@pytest.mark.parametrize(("bad", "why"), [
    ("ftp://h:1", "bad master address 'ftp://h:1': ftp:// is not supported"),
    ("http://", "names no host"),
    ("http://h:99999", "bad master URL"),
    ("http://user:secret@h:5050", "credentials do not go in the URL"),
    ("http://h:5050/?x=1", "query or fragment"),
    ("http://bad host:5050", "bad master"),
])
def test_bad_urls_are_one_line(bad: str, why: str) -> None:
    with pytest.raises(DetectorError) as e:
        check_operator_master(bad)
    assert why in str(e.value) and "\n" not in str(e.value)
    assert "secret" not in str(e.value)


async def test_the_master_string_picks_the_transport() -> None:
    def ignore(event: object) -> None:
        return None

    grpc = operator_source("127.0.0.1:5050", ignore)
    assert type(grpc) is OperatorClient and grpc.streams_extensions
    http = operator_source("http://127.0.0.1:5050/prefix", ignore, extensions=False)
    assert isinstance(http, HttpOperatorClient)
    assert str(http.url("127.0.0.1:5050")) == "http://127.0.0.1:5050/prefix/api/v1"
    assert not http.extensions and not http.streams_extensions
    zk = operator_source("zk://127.0.0.1:2181/mesos", ignore)
    assert isinstance(zk, HttpOperatorClient) and zk.scheme == "http"
    for client in (grpc, http, zk):
        await client.close()


def test_records_decode_as_protobuf_or_json_and_garbage_is_one_line() -> None:
    from daemons.common import protojson
    from daemons.proto import master_pb2
    from mesos_tui.client.http_operator import JSON, PROTOBUF, _decode

    event = master_pb2.Event(type=master_pb2.Event.HEARTBEAT)
    assert _decode(event.SerializeToString(), PROTOBUF, master_pb2.Event) == event
    assert _decode(protojson.dumps(event), JSON, master_pb2.Event) == event
    for media, junk in ((PROTOBUF, b"\xff\xff\xff"), (JSON, b"{not json")):
        with pytest.raises(ValueError) as e:
            _decode(junk, media, master_pb2.Event)
        assert "\n" not in str(e.value)


async def test_the_shell_launches_only_where_the_master_is_ours() -> None:
    """Over HTTP, an Apache Mesos master (no extensions streamed) is watched, not launched on;
    a mesos-tui master is launched on at its own host:port."""
    from types import SimpleNamespace

    from mesos_tui.client.mirror import ClusterMirror
    from mesos_tui.shell.errors import CommandError
    from mesos_tui.shell.session import ShellSession

    mirror = ClusterMirror()
    mirror.subscribed = True
    for master, ours, expected in (
        ("http://mesos.example:5050", False, None),
        ("zk://zk:2181/mesos", False, None),
        ("http://ours.example:5050/prefix", True, "ours.example:5050"),
        ("zk://zk:2181/mesos", True, "zk://zk:2181/mesos"),
        ("ours.example:5050", True, "ours.example:5050"),
    ):
        session = ShellSession(master, mirror=mirror,
                               operator=SimpleNamespace(streams_extensions=ours))  # type: ignore[arg-type]
        if expected is None:
            with pytest.raises(CommandError, match="not launched: .* operator HTTP API"):
                await session.framework()
        else:
            assert session.scheduler_master() == expected
