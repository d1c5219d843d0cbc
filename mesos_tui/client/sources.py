"""Where the TUI and the shell read a master from: the one place that turns a `--master`
string into an operator source.

- `host:port`: our master over gRPC (`OperatorClient`);
- `http://host:port`, `https://host:port[/prefix]`, `zk://hosts/path`: any Mesos master over
  its v1 operator HTTP API (`HttpOperatorClient`); zk:// finds the leader's HTTP address in
  its `json.info_` znode, as every Mesos tool does.

Both have the interface the mirror and the UI consume (`run`, `status`, `problem`, `stop`,
`close`, the calls answering `CallResult`, `streams_extensions`); a replay
(`mesos_tui.client.replay`) has it too.
"""

from __future__ import annotations

from collections.abc import Callable

from daemons.common.detector import check_master
from daemons.common.flags import _typed
from mesos_tui.client.http_operator import HttpOperatorClient, check_url
from mesos_tui.client.operator import ConnectionStatus, Event, OperatorClient


def is_http(master: str) -> bool:
    """Whether `master` is read over the HTTP API (http://, https:// or zk://)."""
    return master.strip().lower().startswith(("http://", "https://", "zk://"))


def check_operator_master(text: str) -> str:
    """A `--master` for the TUI or the shell, checked and normalised: host:port, zk://...,
    http://... or https://...; DetectorError (one line) if it is none of them."""
    stripped = text.strip()
    if stripped[:7].lower() == "http://" or stripped[:8].lower() == "https://":
        return check_url(stripped)
    return check_master(stripped)


# The flag type of the TUI's and the shell's --master.
OPERATOR_MASTER = _typed("a master address", check_operator_master)


def operator_source(
    master: str,
    on_event: Callable[[Event], None],
    on_status: Callable[[ConnectionStatus], None] | None = None,
    *,
    extensions: bool = True,
) -> OperatorClient:
    """The client for `master`: gRPC for host:port, HTTP for the rest."""
    if is_http(master):
        return HttpOperatorClient(master, on_event, on_status, extensions=extensions)
    return OperatorClient(master, on_event, on_status)
