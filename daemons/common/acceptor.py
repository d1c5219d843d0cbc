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
loopback hop (and a copy in this process) per gRPC byte. TLS (later) starts with a ClientHello
instead: the same step 2 can read its ALPN ("h2" for gRPC, "http/1.1" otherwise).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("mesos.acceptor")

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FIRST_BYTES_SECONDS = 10.0

# The relay's local port on loopback -> the client behind it, written as gRPC writes peers.
_relayed: dict[int, str] = {}


def peer_of(grpc_peer: str) -> str:
    """The client a gRPC servicer's `context.peer()` stands for: the relayed client's real
    address when the connection came through the shared port, else `grpc_peer` itself."""
    _head, sep, port = grpc_peer.rpartition(":")
    if sep and port.isdigit():
        return _relayed.get(int(port), grpc_peer)
    return grpc_peer


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

    def __init__(self, port: SharedPort) -> None:
        self.port = port
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
        kind = classify(self.buffer)
        if kind is None:
            return
        self.decided = True
        if self.timer is not None:
            self.timer.cancel()
        assert self.transport is not None
        if kind == "http":
            self.port.to_http(self.transport, self.buffer)
        else:
            self.transport.pause_reading()
            asyncio.get_running_loop().create_task(self.port.to_grpc(self.transport, self.buffer))
        self.buffer = b""

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.port.connections.discard(self.transport)


class SharedPort:
    """The master's one listening port: HTTP/1.1 to `http_protocol` (a factory of aiohttp
    request handlers), HTTP/2 relayed to the gRPC server at `grpc_host:grpc_port`."""

    def __init__(
        self, http_protocol: Callable[[], asyncio.Protocol], grpc_host: str, grpc_port: int
    ) -> None:
        self.http_protocol = http_protocol
        self.grpc_address = (grpc_host, grpc_port)
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()

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

    async def to_grpc(self, client: asyncio.Transport, first: bytes) -> None:
        loop = asyncio.get_running_loop()
        peer = _peer_text(client)
        local: list[int] = []

        def forget() -> None:
            for p in local:
                _relayed.pop(p, None)
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
        client.set_protocol(_Relay(upstream, forget))
        upstream.write(first)
        client.resume_reading()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for transport in list(self.connections):
            transport.abort()
        self.connections.clear()
