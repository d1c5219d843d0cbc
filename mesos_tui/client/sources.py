"""Where the TUI and the shell read a master from: the one place that turns a `--master`
string into an operator source.

- `host:port`: our master over gRPC (`OperatorClient`);
- `http://host:port`, `https://host:port[/prefix]`, `zk://hosts/path`: any Mesos master over
  its v1 operator HTTP API (`HttpOperatorClient`); zk:// finds the leader's HTTP address in
  its `json.info_` znode, as every Mesos tool does.

Both have the interface the mirror and the UI consume (`run`, `status`, `problem`, `stop`,
`close`, the calls answering `CallResult`, `streams_extensions`); a replay
(`mesos_tui.client.replay`) has it too.

Light on purpose: checking a `--master` imports neither grpc nor aiohttp (every command line
checks one before it does anything); the clients are imported when one is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yarl import URL

from daemons.common.detector import DetectorError, check_master
from daemons.common.flags import _typed

if TYPE_CHECKING:
    from mesos_tui.client.operator import ConnectionStatus, OperatorClient


def is_http(master: str) -> bool:
    """Whether `master` is read over the HTTP API (http://, https:// or zk://)."""
    return master.strip().lower().startswith(("http://", "https://", "zk://"))


def check_url(text: str) -> str:
    """An `http://` or `https://` master URL, checked and normalised (no trailing slash, no
    `/api/v1`); a DetectorError saying what is wrong otherwise."""
    raw = text.strip()
    try:
        url = URL(raw)
    except (ValueError, TypeError) as e:
        raise DetectorError(f"bad master URL {text!r}: {e}") from None
    scheme = url.scheme.lower()
    if scheme not in ("http", "https"):
        raise DetectorError(f"bad master URL {text!r}: expected http:// or https://")
    if not url.host:
        raise DetectorError(f"bad master URL {text!r}: it names no host")
    if url.user or url.password:
        raise DetectorError(
            f"bad master URL {redact_url(raw)!r}: credentials do not go in the URL")
    if url.query_string or url.fragment:
        raise DetectorError(f"bad master URL {text!r}: it has a query or fragment")
    try:
        port = url.port
    except ValueError as e:
        raise DetectorError(f"bad master URL {text!r}: {e}") from None
    if port is None:
        raise DetectorError(f"bad master URL {text!r}: it has no port")
    host = url.host
    hostport = check_master(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    path = url.path.rstrip("/")
    path = path.removesuffix("/api/v1").removesuffix("/master").rstrip("/")
    return f"{scheme}://{hostport}{path}"


def redact_url(text: str) -> str:
    """A URL fit to print: any password replaced by `***`."""
    try:
        url = URL(text)
    except (ValueError, TypeError):
        return "(unparseable URL)"
    if url.password:
        url = url.with_password("***")
    return str(url)


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
    on_event: Callable[[Any], None],
    on_status: Callable[[ConnectionStatus], None] | None = None,
    *,
    extensions: bool = True,
) -> OperatorClient:
    """The client for `master`: gRPC for host:port, HTTP for the rest."""
    if is_http(master):
        from mesos_tui.client.http_operator import HttpOperatorClient

        return HttpOperatorClient(master, on_event, on_status, extensions=extensions)
    from mesos_tui.client.operator import OperatorClient

    return OperatorClient(master, on_event, on_status)
