"""One port for both edges: gRPC and Mesos's HTTP API share --ip:--port, told apart on accept
(the master's port; the agent's too once it serves HTTP).

Why one port: the `--master` string (`host:port`, or the `address` in a ZooKeeper `json.info_`
znode) must reach both our own gRPC clients and an unmodified Mesos client speaking HTTP/1.1,
with nothing else to configure or discover. The protocol:

1. Accept a connection and read its first bytes (nothing is answered before that).
2. A gRPC client opens with the HTTP/2 connection preface, `PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n`
   (gRPC over plain TCP always starts with it: "prior knowledge" h2c). As soon as the bytes
   read so far stop matching the preface, the client speaks something else: HTTP/1.1
   (`GET /...`, `POST /...`). Two bytes usually decide it.
3. HTTP/1.1: the connection is handed, with the bytes already read, to aiohttp's protocol for
   the HTTP API (same transport, so aiohttp sees the real client address).
4. HTTP/2: the connection is relayed, bytes both ways with back-pressure, to the master's gRPC
   server, which listens on an ephemeral loopback port of its own. `peer_of()` turns the
   relay's address, as the gRPC servicer sees it, back into the client's real address.

A connection that sends nothing for FIRST_BYTES_SECONDS is closed. What it costs: one more
loopback hop (and a copy in this process) per gRPC byte.

TLS (`ssl_context`, daemons/common/tls.py): a TLS client's first byte is 0x16, a handshake
record (its ClientHello). The acceptor terminates TLS itself (asyncio's SSL protocol over the
same transport, fed the bytes already read), offering ALPN `http/1.1` and `h2` (gRPC insists
on h2 and offers nothing else; curl and browsers offer both and get http/1.1, the only HTTP
aiohttp speaks); then steps 2-4 run on the decrypted bytes, so both edges work over TLS on the one
port, and the gRPC server behind stays plain on loopback. `is_tls()` tells a servicer whether
its caller came over TLS; for HTTP the request's transport has an `ssl_object`. A plain-text
first byte is served as before only with `downgrade` (LIBPROCESS_SSL_SUPPORT_DOWNGRADE);
otherwise the connection is closed (an HTTP/1.1 client is first told, in a 400 answer, to use
https) and the refusal logged, one line per client address a minute.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from asyncio.sslproto import SSLProtocol
from collections.abc import Callable

log = logging.getLogger("mesos.acceptor")

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FIRST_BYTES_SECONDS = 10.0
TLS_HANDSHAKE = 0x16  # the content type of a TLS handshake record: a ClientHello starts with it
REFUSAL_LOG_SECONDS = 60.0
_REFUSAL_TEXT = b"This port requires TLS: use https:// (or a TLS gRPC channel)\n"
PLAIN_HTTP_REFUSED = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_REFUSAL_TEXT), _REFUSAL_TEXT)
)

# The relay's local port on loopback -> the client behind it, written as gRPC writes peers.
_relayed: dict[int, str] = {}
# The relay's local ports whose client came over TLS.
_tls_ports: set[int] = set()


def peer_of(grpc_peer: str) -> str:
    """The client a gRPC servicer's `context.peer()` stands for: the relayed client's real
    address when the connection came through the shared port, else `grpc_peer` itself."""
    _head, sep, port = grpc_peer.rpartition(":")
    if sep and port.isdigit():
        return _relayed.get(int(port), grpc_peer)
    return grpc_peer


def is_tls(grpc_peer: str) -> bool:
    """Whether the client a gRPC servicer's `context.peer()` stands for came over TLS (through
    the shared port; a direct connection to the loopback gRPC server is not TLS)."""
    _head, sep, port = grpc_peer.rpartition(":")
    return bool(sep and port.isdigit() and int(port) in _tls_ports)


def _peer_text(transport: asyncio.BaseTransport) -> str:
    name = transport.get_extra_info("peername")
    if not name:
        return ""
    host, port = name[0], name[1]
    return f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"


def classify(first: bytes) -> str | None:
    """"grpc", "http", or None while the bytes so far could still be either."""
    n = min(len(first), len(HTTP2_PREFACE))
    if first[:n] != HTTP2_PREFACE[:n]:
        return "http"
    if len(first) >= len(HTTP2_PREFACE):
        return "grpc"
    return None


class _Relay(asyncio.Protocol):
    """One side of a relayed connection: what it receives goes to `other`; when its own
    transport cannot keep up, the other side stops reading until it can."""

    def __init__(self, other: asyncio.Transport | None, on_lost: Callable[[], None]) -> None:
        self.other = other
        self.on_lost = on_lost

    def data_received(self, data: bytes) -> None:
        if self.other is not None:
            self.other.write(data)

    def eof_received(self) -> bool:
        return False  # close: HTTP/2 has no use for a half-open connection

    def connection_lost(self, exc: Exception | None) -> None:
        if self.other is not None:
            self.other.close()
        self.on_lost()

    def pause_writing(self) -> None:
        if self.other is not None:
            self.other.pause_reading()

    def resume_writing(self) -> None:
        if self.other is not None:
            self.other.resume_reading()


class _FirstBytes(asyncio.Protocol):
    """A fresh connection, until its first bytes say which edge it is for."""

    def __init__(self, port: SharedPort, tls: bool = False) -> None:
        self.port = port
        self.tls = tls  # the bytes are the decrypted ones of a TLS connection
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.timer: asyncio.TimerHandle | None = None
        self.decided = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.port.connections.add(transport)  # type: ignore[arg-type]
        self.timer = asyncio.get_running_loop().call_later(FIRST_BYTES_SECONDS, self._silent)

    def _silent(self) -> None:
        if not self.decided and self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        assert self.transport is not None
        if not self.tls and self.port.ssl_context is not None and self.buffer:
            if self.buffer[0] == TLS_HANDSHAKE:
                self._decided()
                self.port.to_tls(self.transport, self.buffer)
                self.buffer = b""
                return
            if not self.port.downgrade:
                kind = classify(self.buffer)
                if kind is None:
                    return
                self._decided()
                self.port.refuse_plain(self.transport, kind)
                self.buffer = b""
                return
        kind = classify(self.buffer)
        if kind is None:
            return
        self._decided()
        if kind == "http":
            self.port.to_http(self.transport, self.buffer)
        else:
            self.transport.pause_reading()
            asyncio.get_running_loop().create_task(
                self.port.to_grpc(self.transport, self.buffer, self.tls)
            )
        self.buffer = b""

    def _decided(self) -> None:
        self.decided = True
        if self.timer is not None:
            self.timer.cancel()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.port.connections.discard(self.transport)


class _TlsSession(SSLProtocol):
    """asyncio's server-side TLS over an accepted connection, which says (one line) why a
    handshake failed: a client without the CA, or without the certificate we require.

    asyncio.sslproto is not public API, but `loop.start_tls` cannot be used here: it would
    start the handshake without the ClientHello bytes this acceptor has already read. Its
    SSLProtocol (rewritten in 3.11, the oldest Python this project runs on) is a buffered
    protocol, so those bytes are handed to it with get_buffer/buffer_updated (`_feed`);
    tests/integration/test_tls.py covers both edges through it."""

    def __init__(self, port: SharedPort, peer: str, app: asyncio.Protocol) -> None:
        loop = asyncio.get_running_loop()
        assert port.ssl_context is not None
        super().__init__(
            loop, app, port.ssl_context, None, server_side=True,
            ssl_handshake_timeout=FIRST_BYTES_SECONDS,
        )
        self.port = port
        self.peer = peer

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None:
            self.port.log_refusal(self.peer, _handshake_failure(handshake_exc))
        super()._on_handshake_complete(handshake_exc)


def _handshake_failure(error: BaseException | type[BaseException]) -> str:
    """Why a handshake failed, in words: asyncio passes the class ConnectionResetError when the
    client hangs up mid-handshake (what a gRPC client that does not trust us does)."""
    if isinstance(error, type) or isinstance(error, ConnectionError):
        return ("the client closed the connection during the TLS handshake (does it trust "
                "the CA of this port's certificate?)")
    reason = getattr(error, "reason", None)
    text = reason.replace("_", " ").lower() if reason else (str(error) or type(error).__name__)
    return f"the TLS handshake failed ({text})"


def _feed(protocol: asyncio.BufferedProtocol, data: bytes) -> None:
    """Give a buffered protocol bytes that were read before it took over the transport."""
    view = memoryview(data)
    while view:
        buffer = protocol.get_buffer(len(view))
        n = min(len(buffer), len(view))
        buffer[:n] = view[:n]
        protocol.buffer_updated(n)
        view = view[n:]


class SharedPort:
    """The master's one listening port: HTTP/1.1 to `http_protocol` (a factory of aiohttp
    request handlers), HTTP/2 relayed to the gRPC server at `grpc_host:grpc_port`; TLS
    terminated here with `ssl_context`, plain text accepted too only with `downgrade`."""

    def __init__(
        self,
        http_protocol: Callable[[], asyncio.Protocol],
        grpc_host: str,
        grpc_port: int,
        ssl_context: ssl.SSLContext | None = None,
        downgrade: bool = False,
    ) -> None:
        self.http_protocol = http_protocol
        self.grpc_address = (grpc_host, grpc_port)
        self.ssl_context = ssl_context
        self.downgrade = downgrade
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()
        self._refusals: dict[str, float] = {}  # client host -> when its refusal was last logged

    def log_refusal(self, peer: str, why: str) -> None:
        """One warning line per client host a minute: a client retrying in a loop does not
        fill the log."""
        host = peer.rpartition(":")[0] or peer
        now = time.monotonic()
        if now - self._refusals.get(host, -REFUSAL_LOG_SECONDS) < REFUSAL_LOG_SECONDS:
            return
        if len(self._refusals) >= 1024:
            self._refusals.clear()
        self._refusals[host] = now
        log.warning("Refused a connection from %s: %s", peer or "an unknown address", why)

    def refuse_plain(self, transport: asyncio.Transport, kind: str) -> None:
        """A plain-text client on a TLS-only port: an HTTP/1.1 client is told to use https,
        then the connection is closed."""
        self.connections.discard(transport)
        self.log_refusal(
            _peer_text(transport),
            f"it speaks plain text ({'gRPC' if kind == 'grpc' else 'HTTP/1.1'}) and this port "
            "requires TLS (LIBPROCESS_SSL_SUPPORT_DOWNGRADE is off)",
        )
        if kind == "http":
            transport.write(PLAIN_HTTP_REFUSED)
            transport.close()
        else:
            transport.abort()

    def to_tls(self, transport: asyncio.Transport, first: bytes) -> None:
        """Terminate TLS on `transport`; its decrypted bytes go through the same choice."""
        self.connections.discard(transport)
        session = _TlsSession(self, _peer_text(transport), _FirstBytes(self, tls=True))
        transport.set_protocol(session)
        session.connection_made(transport)
        _feed(session, first)

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (OSError if it cannot); answers the port bound."""
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: _FirstBytes(self), host, port, reuse_address=True, backlog=1024
        )
        return self.server.sockets[0].getsockname()[1]

    def to_http(self, transport: asyncio.Transport, first: bytes) -> None:
        self.connections.discard(transport)
        protocol = self.http_protocol()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(first)

    async def to_grpc(self, client: asyncio.Transport, first: bytes, tls: bool = False) -> None:
        loop = asyncio.get_running_loop()
        peer = _peer_text(client)
        local: list[int] = []

        def forget() -> None:
            for p in local:
                _relayed.pop(p, None)
                _tls_ports.discard(p)
            self.connections.discard(client)

        try:
            upstream, _ = await loop.create_connection(
                lambda: _Relay(client, forget), *self.grpc_address
            )
        except OSError as e:
            log.warning("Cannot relay a gRPC connection from %s: %s", peer, e)
            client.abort()
            return
        if client.is_closing():
            upstream.close()
            return
        local.append(upstream.get_extra_info("sockname")[1])
        _relayed[local[0]] = peer
        if tls:
            _tls_ports.add(local[0])
        client.set_protocol(_Relay(upstream, forget))
        upstream.write(first)
        client.resume_reading()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for transport in list(self.connections):
            transport.abort()
        self.connections.clear()
