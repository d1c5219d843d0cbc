"""The one check of every --master and --zk (daemons.common.detector.check_master)."""

from __future__ import annotations

import pytest

from daemons.common.detector import DetectorError, check_master, check_zk_url


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("127.0.0.1:5050", "127.0.0.1:5050"),
        ("  localhost:5050 ", "localhost:5050"),
        ("master-1.example.com:5050", "master-1.example.com:5050"),
        ("[::1]:5050", "[::1]:5050"),
        ("zk://127.0.0.1:2181/mesos", "zk://127.0.0.1:2181/mesos"),
        ("zk://a:1,b:2/mesos/", "zk://a:1,b:2/mesos"),
        ("zk://user:secret@a:1/mesos", "zk://user:secret@a:1/mesos"),
        ("ZK://a:1/x/y", "zk://a:1/x/y"),
    ],
)
def test_good_addresses(text: str, normalised: str) -> None:
    assert check_master(text) == normalised


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "it is empty"),
        ("garbage", "it has no port"),
        ("host:", "the port after ':' is missing"),
        (":5050", "no host before"),
        ("host:http", "port 'http' is not a number"),
        ("host:0", "out of range"),
        ("host:70000", "out of range"),
        ("::1:5050", "brackets"),
        ("bad host:5050", "spaces"),
        ("-x:5050", "not a host name"),
        ("http://master:5050", "http:// is not supported"),
        ("zk://", "names no ZooKeeper host"),
        ("zk:///mesos", "names no ZooKeeper host"),
        ("zk://a:2181", "no path"),
        ("zk://a:2181/", "no path"),
        ("zk://a/mesos", "'a': it has no port"),
        ("zk://a:1,,b:2/mesos", "empty"),
        ("zk://a:1//mesos", "empty part"),
        ("zk://a:1/mesos/..", "does not allow"),
    ],
)
def test_bad_addresses_say_why_and_show_a_right_one(text: str, why: str) -> None:
    with pytest.raises(DetectorError) as e:
        check_master(text)
    message = str(e.value)
    assert why in message
    assert "\n" not in message
    assert "as in zk://127.0.0.1:2181/mesos" in message
    assert repr(text) in message


def test_zk_flag_takes_zk_urls_only() -> None:
    assert check_zk_url("") == ""
    assert check_zk_url("zk://a:1/m") == "zk://a:1/m"
    with pytest.raises(DetectorError, match="does not start with zk://"):
        check_zk_url("a:1")
