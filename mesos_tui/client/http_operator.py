"""A leader-following client of Mesos's v1 operator HTTP API: the TUI and the shell on any
Mesos master, Apache Mesos's included.

It is `OperatorClient` (the same run loop, status, back-off and calls the mirror and the UI
consume) with HTTP underneath instead of gRPC:

- `SUBSCRIBE` is `POST <base>/api/v1` with `{"type": "SUBSCRIBE"}`, answered 200 with a
  chunked RecordIO stream (`<length>\\n<json>`, Mesos's recordio.md) of operator Events: the
  first SUBSCRIBED carries the whole state, then TASK_ADDED, TASK_UPDATED, AGENT_ADDED, ...
  and a HEARTBEAT every `heartbeat_interval_seconds`. No record for three heartbeats means the
  connection is dead (a half-open TCP connection never says so): the client subscribes again.
- Bodies: the calls are sent as JSON; answers are asked for as protobuf (`Accept:
  application/x-protobuf`, which Mesos and our master both serve, in Mesos's own field
  numbers), because decoding protobuf costs about a hundredth of decoding Mesos's JSON in
  Python (benchmarks/operator_sources.py: a 10,000-task snapshot in 15 ms instead of 5 s).
  A master that answers JSON anyway is read as JSON.
- Calls (GET_STATE, GET_FLAGS, TEARDOWN, ...) are the same POST, answered 200 with a
  Response (or an empty body for calls that only act), or 4xx/5xx with one line of text.
- A standby answers 307 with `Location: //leader:port/api/v1`: the client follows it (as a
  standby's `mesos-leader` hint over gRPC), at most a few hops.

Where the master is: `http://host:port[/prefix]` or `https://...` names one master (behind a
proxy, `/prefix` is kept); `zk://hosts/path` reads the leader's MasterInfo from its
`json.info_` znode (Mesos's layout) and talks HTTP to its `address`.

This project's extra events (the offer cycle, measured usage, allocation cycles) and its extra
calls (KILL_TASK, the allocator's pause/step) exist only on our masters, and only for clients
that send `Mesos-Tui-Extensions: 1`. The client sends it unless told not to, and learns from
the first snapshot whether the master understood it (the allocator's state is in it):
`streams_extensions` says so, and the UI tells the user plainly what this master does not
stream instead of showing empty views. Calls Mesos has no equivalent of answer a one-line
`CallResult` saying so; they are never sent to a master that would refuse them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import aiohttp
from google.protobuf.message import DecodeError, Message
from yarl import URL

from daemons.common import protojson, recordio, tls
from daemons.common.detector import (
    DetectorError,
    MasterDetector,
    StandaloneDetector,
    check_master,
    detector_for,
)
from daemons.proto import master_pb2
from mesos_tui.client.operator import (
    CONNECTED,
    CallResult,
    ConnectionStatus,
    LeaderElsewhere,
    NotAMaster,
    OperatorClient,
    StreamProblem,
)
from mesos_tui.client.sources import check_url, redact_url  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Call = master_pb2.Call
Event = master_pb2.Event

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
EXTENSIONS_HEADER = "Mesos-Tui-Extensions"
# A record (one event) larger than this is refused: a peer sending garbage must not make us
# buffer without bound. A whole-cluster SUBSCRIBED of 100,000 tasks is about 60 MB of JSON.
MAX_RECORD_BYTES = 256 * 1024 * 1024
MAX_REDIRECTS = 3
# Until SUBSCRIBED says the interval, wait this long for the first record.
FIRST_RECORD_SECONDS = 30.0
MISSED_HEARTBEATS = 3

NO_KILL = (
    "this master does not kill single tasks: Mesos's operator API has no task kill (a task is "
    "killed by its framework); `teardown FRAMEWORK` removes a whole framework with its tasks"
)
NO_ALLOCATOR = (
    "this master has no allocator controls: pause, resume and step are mesos-tui's own "
    "calls, which Apache Mesos does not have"
)


def _leader_from(location: str, current: URL) -> str:
    """host:port of the leader a 307's Location names (`//leader:port/path`, or absolute)."""
    target = current.join(URL(location))
    host = target.host or ""
    if not host or target.port is None:
        raise ValueError(f"a standby's redirect names no leader: {location!r}")
    return check_master(f"[{host}]:{target.port}" if ":" in host else f"{host}:{target.port}")


def _decode(data: bytes, media: str, cls: type[M]) -> M:
    """A message from a body (or a record) in `media`; ValueError (one line) if it is not."""
    if media == PROTOBUF:
        message = cls()
        try:
            message.ParseFromString(data)
        except (DecodeError, RecursionError) as e:
            raise ValueError(f"not a {cls.__name__} protobuf: {e}") from None
        return message
    return protojson.parse(data, cls, cls.__name__)


class _HttpProblem(StreamProblem):
    """A failed request, in one line (the run loop shows it and retries)."""


class HttpOperatorClient(OperatorClient):
    """Follows the leading master and streams its operator events over HTTP."""

    transport = "http"

    def __init__(
        self,
        master: str,
        on_event: Callable[[Event], None],
        on_status: Callable[[ConnectionStatus], None] | None = None,
        detector: MasterDetector | None = None,
        *,
        extensions: bool = True,
        min_backoff: float = 0.25,
        max_backoff: float = 5.0,
        call_timeout: float = 10.0,
    ) -> None:
        if master.strip()[:5].lower() == "zk://":
            master = check_master(master)
            # ZooKeeper names the leader's host:port only; the scheme is this client's own TLS
            # setting (LIBPROCESS_SSL_ENABLED), as for Mesos's clients.
            self.scheme, self.prefix = tls.current().scheme, ""
            detector = detector or detector_for(master)
        else:
            master = check_url(master)
            url = URL(master)
            self.scheme, self.prefix = url.scheme, url.path.rstrip("/")
            hostport = master.split("://", 1)[1].split("/", 1)[0]
            detector = detector or StandaloneDetector(hostport)
        super().__init__(master, on_event, on_status, detector=detector,
                         min_backoff=min_backoff, max_backoff=max_backoff,
                         call_timeout=call_timeout)
        self.extensions = extensions
        # Whether the master streams this project's events (learnt from its first snapshot).
        self.streams_extensions = False
        self.requests = 0  # HTTP requests sent: what tests count
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------------- plumbing

    def url(self, address: str) -> URL:
        return URL(f"{self.scheme}://{address}{self.prefix}/api/v1")

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = None
            if self.scheme == "https":
                # Our cluster's CA (LIBPROCESS_SSL_CA_FILE, as `mesos-tui up` prints) or the
                # system's; a client certificate when one is configured.
                connector = aiohttp.TCPConnector(ssl=tls.client_context(tls.current()))
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.call_timeout,
                                              connect=self.call_timeout),
                # The stream is ours to frame; never let aiohttp guess at compression.
                auto_decompress=True,
            )
        return self._session

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": JSON, "Accept": PROTOBUF}
        if self.extensions:
            headers[EXTENSIONS_HEADER] = "1"
        return headers

    def _problem(self, url: URL, error: BaseException) -> _HttpProblem:
        where = f"{url.host}:{url.port}"
        if isinstance(error, aiohttp.ClientConnectorError):
            why = error.os_error.strerror if error.os_error and error.os_error.strerror else str(error)
            return _HttpProblem(f"cannot connect to {where}: {why}")
        if isinstance(error, aiohttp.ClientSSLError):
            return _HttpProblem(f"TLS with {where} failed: {error}")
        if isinstance(error, aiohttp.ServerDisconnectedError):
            return _HttpProblem(f"{where} closed the connection")
        if isinstance(error, TimeoutError):
            return _HttpProblem(f"{where} did not answer in {self.call_timeout:g}s")
        return _HttpProblem(f"{where}: {error or type(error).__name__}")

    async def _refused(self, response: aiohttp.ClientResponse, url: URL,
                       subscribing: bool = False) -> Exception:
        """The exception for an answer other than 200 (a 307 is a LeaderElsewhere). To a
        SUBSCRIBE, a 501 too means "not a master" (a plain web server refusing POST)."""
        if response.status == 307:
            location = response.headers.get("Location", "")
            try:
                return LeaderElsewhere(_leader_from(location, url))
            except (ValueError, DetectorError) as e:
                return _HttpProblem(str(e))
        try:
            text = (await response.content.read(512)).decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError):
            text = ""
        line = " ".join(text.split())[:200]
        if response.status == 503:
            return _HttpProblem(f"{url.host}:{url.port}: {line or 'no leader elected'}")
        if response.status in (404, 405, 406, 415) or (subscribing and response.status == 501):
            return NotAMaster(
                f"{url} answered {response.status} {response.reason}: not a Mesos master's "
                "operator API (is this the master's address?)"
            )
        return _HttpProblem(f"HTTP {response.status} from {url.host}:{url.port}"
                            + (f": {line}" if line else ""))

    # ---------------------------------------------------------------------- the stream

    async def _subscribe(self, address: str) -> bool:
        url = self.url(address)
        body = protojson.dumps(Call(type=Call.SUBSCRIBE))
        got = False
        try:
            async with self._http().post(url, data=body, headers=self._headers(),
                                         allow_redirects=False) as response:
                self.requests += 1
                if response.status != 200:
                    raise await self._refused(response, url, subscribing=True)
                media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if media not in (JSON, PROTOBUF):
                    raise NotAMaster(f"{url} answered {media or 'no content type'}, not a "
                                     "Mesos operator event stream")
                decoder = recordio.Decoder(max_record=MAX_RECORD_BYTES)
                patience = FIRST_RECORD_SECONDS
                while True:
                    try:
                        chunk = await asyncio.wait_for(response.content.readany(), patience)
                    except TimeoutError:
                        raise _HttpProblem(
                            f"no event or heartbeat from {address} for {patience:g}s"
                        ) from None
                    if not chunk:
                        break
                    try:
                        records = decoder.feed(chunk)
                    except recordio.RecordIOError as e:
                        raise NotAMaster(f"{address} sent a stream that is not RecordIO: {e}"
                                         ) from None
                    for record in records:
                        try:
                            event = _decode(record, media, Event)
                        except ValueError as e:
                            raise _HttpProblem(f"{address} sent an event that is not an "
                                               f"operator Event: {e}") from None
                        if not got:
                            got = True
                            await self._first(address, event)
                            if event.subscribed.heartbeat_interval_seconds > 0:
                                patience = max(
                                    5.0,
                                    MISSED_HEARTBEATS * event.subscribed.heartbeat_interval_seconds,
                                )
                        self._deliver(event)
        except (LeaderElsewhere, NotAMaster, _HttpProblem, asyncio.CancelledError):
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise self._problem(url, e) from None
        return got

    async def _first(self, address: str, event: Event) -> None:
        """The stream's first event: the snapshot (fetched if the master left it out), and
        what this master streams."""
        self.leader = address
        if event.type == Event.SUBSCRIBED and not event.subscribed.HasField("get_state"):
            state = await self.get_state()
            if state.ok and state.response is not None:
                event.subscribed.get_state.CopyFrom(state.response.get_state)
        self.streams_extensions = self.extensions and event.subscribed.get_state.HasField(
            "allocator")
        self._failure = None
        self._set(CONNECTED, address=address)

    async def close(self) -> None:
        self._stopped = True
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._detector is not None:
            self._detector.close()

    # --------------------------------------------------------------------------- calls

    async def call(self, call: master_pb2.Call) -> CallResult:
        """One operator call to the leader, following a standby's redirects."""
        address = self.leader or self._hint
        try:
            if address is None:
                address = await asyncio.wait_for(self._detect(None), self.call_timeout)
            body = protojson.dumps(call, self.extensions)
            for _ in range(MAX_REDIRECTS + 1):
                url = self.url(address)
                try:
                    async with self._http().post(
                        url, data=body, headers=self._headers(), allow_redirects=False,
                        timeout=aiohttp.ClientTimeout(total=self.call_timeout),
                    ) as response:
                        self.requests += 1
                        if response.status != 200:
                            refused = await self._refused(response, url)
                            if isinstance(refused, LeaderElsewhere) and refused.leader != address:
                                address = refused.leader
                                continue
                            return CallResult(False, str(refused))
                        data = await response.read()
                except (aiohttp.ClientError, TimeoutError, OSError) as e:
                    return CallResult(False, str(self._problem(url, e)))
                if not data.strip():
                    return CallResult(True, "accepted")
                try:
                    media = response.headers.get("Content-Type", "").split(";")[0]
                    answer = _decode(data, media.strip().lower(), master_pb2.Response)
                except ValueError as e:
                    return CallResult(False, f"{address} answered with something that is not "
                                      f"a Response: {e}")
                return CallResult(True, "accepted", answer)
            return CallResult(False, "the masters keep redirecting; try again")
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a call answers, never raises
            return CallResult(False, str(e) or type(e).__name__)

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult:
        if not self.streams_extensions:
            return CallResult(False, NO_KILL)
        return await super().kill_task(task_id, framework_id)

    async def pause_allocator(self) -> CallResult:
        if not self.streams_extensions:
            return CallResult(False, NO_ALLOCATOR)
        return await super().pause_allocator()

    async def resume_allocator(self) -> CallResult:
        if not self.streams_extensions:
            return CallResult(False, NO_ALLOCATOR)
        return await super().resume_allocator()

    async def run_allocation(self) -> CallResult:
        if not self.streams_extensions:
            return CallResult(False, NO_ALLOCATOR)
        return await super().run_allocation()

