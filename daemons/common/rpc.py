"""gRPC settings and conventions shared by every daemon and client.

- Messages may be large (a GET_STATE of 10,000 tasks), so both ends raise the size limits.
- A standby master answers UNAVAILABLE with the leader's address in the trailing metadata key
  `mesos-leader`; `leader_hint` reads it back.
- The scheduler API's stream id travels as `mesos-stream-id` metadata, as Mesos's HTTP API
  sends it in the `Mesos-Stream-Id` header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from daemons.common.sizes import DEFAULT_MAX_RECEIVE  # re-exported: its old home

MAX_MESSAGE = 256 * 1024 * 1024

CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),
    ("grpc.so_reuseport", 0),
]

SERVER_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.so_reuseport", 0),
]



def server_options(max_receive: int = DEFAULT_MAX_RECEIVE) -> list[tuple[str, int]]:
    """SERVER_OPTIONS with the receive limit a daemon's --max_message_size sets."""
    return [
        (k, max_receive if k == "grpc.max_receive_message_length" else v)
        for k, v in SERVER_OPTIONS
    ]


def channel_options(max_receive: int = DEFAULT_MAX_RECEIVE) -> list[tuple[str, int]]:
    """CHANNEL_OPTIONS for a daemon dialing another (the agent's link to the master)."""
    return [
        (k, max_receive if k == "grpc.max_receive_message_length" else v)
        for k, v in CHANNEL_OPTIONS
    ]


LEADER_KEY = "mesos-leader"
STREAM_ID_KEY = "mesos-stream-id"


def leader_hint(error: grpc.RpcError) -> str | None:
    """The leader's `host:port` a standby master named in its error, if any."""
    try:
        metadata = error.trailing_metadata() or ()
    except Exception:
        return None
    for key, value in metadata:
        if key == LEADER_KEY and value:
            return value if isinstance(value, str) else value.decode()
    return None


def metadata_value(metadata: object, key: str) -> str | None:
    for k, v in metadata or ():  # type: ignore[union-attr]
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


class Undecodable:
    """What a request that is not a valid protobuf message becomes on our servers, instead of
    gRPC's own "Unexpected <class 'DecodeError'>": the servicer answers INVALID_ARGUMENT with
    `message`, one sentence."""

    __slots__ = ("message",)

    def __init__(self, type_name: str) -> None:
        self.message = f"the request is not a valid {type_name} message (its bytes do not parse)"


def _lenient(parse: Callable[[bytes], Any], type_name: str) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception:
            return Undecodable(type_name)

    return deserialize


class _LenientServer:
    """Stands in for the server while a generated `add_*Servicer_to_server` registers its
    handlers, so that every request deserializer answers `Undecodable` instead of raising."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self.server = server

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # the same handlers arrive through add_registered_method_handlers

    def add_registered_method_handlers(self, name: str, handlers: dict[str, Any]) -> None:
        fixed = {
            method: h._replace(
                request_deserializer=_lenient(h.request_deserializer, f"{name}.{method} request")
            )
            for method, h in handlers.items()
        }
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, fixed),))
        self.server.add_registered_method_handlers(name, fixed)


def add_lenient(
    add: Callable[[Any, Any], None], servicer: Any, server: grpc.aio.Server
) -> None:
    """`add(servicer, server)` (a generated add_*Servicer_to_server) with lenient decoding."""
    add(servicer, _LenientServer(server))
