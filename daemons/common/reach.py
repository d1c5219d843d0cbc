"""Why a gRPC call to a master failed, in one line a person can act on.

gRPC's own messages ("failed to connect to all addresses; last error: UNKNOWN: ipv4:...") say
what the library saw, not what is wrong. `diagnose()` turns a failed call into a `Reach`:

- nothing listens there (connection refused), the host name does not resolve, no route;
- something listens but it is not a master: an agent (its gRPC server has no master service:
  UNIMPLEMENTED), an HTTP/1 server, or a service that does not speak gRPC at all (ZooKeeper
  closes the connection on the HTTP/2 preface);
- TLS on one side only, or a certificate we do not trust (LIBPROCESS_SSL_*, tls.py): which
  setting to change;
- anything else: gRPC's code and details, shortened.

A wrong kind of daemon is `permanent`: retrying will not fix it, so a command line gives up at
once (the interactive shell and the TUI keep retrying, and say why).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import grpc

from daemons.common import tls

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
PROBE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Reach:
    """What went wrong reaching `address`: `text` is one line; `permanent` when retrying the
    same address cannot help (it is not a master)."""

    text: str
    permanent: bool = False


def not_a_master(address: str, what: str) -> Reach:
    return Reach(f"{address} is not a Mesos master ({what})", permanent=True)


async def speaks_http2(address: str, timeout: float = PROBE_SECONDS) -> str:
    """Ask `address` over plain TCP whether it speaks HTTP/2 (gRPC's transport): "http2",
    "http1" (a web server), "closed" (it hung up on the preface), "silent", or "unreachable"."""
    host, _sep, port = address.rpartition(":")
    host = host.strip("[]")
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        writer.write(HTTP2_PREFACE + EMPTY_SETTINGS)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(9), timeout)
    except TimeoutError:
        return "silent" if writer is not None else "unreachable"
    except (OSError, ValueError):
        return "unreachable" if writer is None else "closed"
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    if not data:
        return "closed"
    if data.startswith(b"HTTP/"):
        return "http1"
    if len(data) >= 4 and data[3] == 0x04:  # a SETTINGS frame
        return "http2"
    return "closed"


async def speaks_tls(address: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether `address` completes a TLS handshake (its certificate not checked: this only
    asks what it speaks)."""
    import ssl

    host, _sep, port = address.rpartition(":")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    writer = None
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host.strip("[]"), int(port), ssl=context), timeout
        )
        return True
    except (OSError, ValueError, TimeoutError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def is_agent(address: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether `address` serves a mesos-tui agent's Files API (any answer but UNIMPLEMENTED)."""
    from daemons.proto import agent_pb2, agent_pb2_grpc

    try:
        async with tls.channel(address) as channel:
            await agent_pb2_grpc.FilesStub(channel).List(
                agent_pb2.ListFilesRequest(path="/"), timeout=timeout
            )
    except grpc.aio.AioRpcError as e:
        return e.code() not in (
            grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
        )
    except Exception:
        return False
    return True


def _tls_enabled() -> bool:
    try:
        return tls.current().enabled
    except tls.TlsError:
        return False


def _short(details: str) -> str:
    """gRPC's details without its boilerplate."""
    text = details.strip()
    for prefix in ("failed to connect to all addresses; last error: ",):
        if text.startswith(prefix):
            text = text[len(prefix):]
    # "UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused"
    parts = text.split(": ")
    if len(parts) > 2 and parts[1].startswith(("ipv4:", "ipv6:", "unix:")):
        text = ": ".join(parts[2:])
    return text


async def diagnose(
    address: str, error: BaseException, service: str = "master", tls_used: bool | None = None
) -> Reach:
    """One line on why a call to `address` failed, probing the port when gRPC's answer is
    not enough to tell a dead port from one that speaks something else. `tls_used`: whether
    the failed call dialed TLS (default: this process's LIBPROCESS_SSL_ENABLED)."""
    if not isinstance(error, grpc.RpcError):
        return Reach(f"{address}: {error or type(error).__name__}")
    code = error.code()  # type: ignore[attr-defined]
    details = (error.details() or "").strip()  # type: ignore[attr-defined]
    low = details.lower()
    if code == grpc.StatusCode.UNIMPLEMENTED:
        if await is_agent(address):
            return not_a_master(address, "it answered as an agent: point --master at the "
                                         "master's port, as in 127.0.0.1:5050")
        return not_a_master(address, f"it speaks gRPC but not the {service}'s API")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Reach(f"no answer from {address} in time (a firewall, or a busy or stopped process?)")
    if code != grpc.StatusCode.UNAVAILABLE:
        return Reach(f"{address}: {code.name.lower()}: {details or 'no details'}")
    if "certificate_verify_failed" in low or "certificate verify failed" in low:
        why = details.rpartition("CERTIFICATE_VERIFY_FAILED: ")[2].split(":")[0].strip()
        return Reach(
            f"{address} presented a TLS certificate this client does not trust"
            + (f" ({why})" if why else "")
            + ": set LIBPROCESS_SSL_CA_FILE to the CA that signed it",
            permanent=True,
        )
    if "wrong_version_number" in low:
        return Reach(
            f"{address} does not speak TLS: unset LIBPROCESS_SSL_ENABLED, or enable TLS there",
            permanent=True,
        )
    if "handshake" in low and ("tls" in low or "ssl" in low):
        return Reach(
            f"the TLS handshake with {address} failed ({_short(details)}); does it require a "
            "client certificate (LIBPROCESS_SSL_CERT_FILE, LIBPROCESS_SSL_KEY_FILE)?"
        )
    if "connection refused" in low:
        return Reach(f"nothing listens on {address} (connection refused)")
    if "resolv" in low or "domain name not found" in low or "name or service not known" in low:
        host = address.rpartition(":")[0]
        return Reach(f"cannot resolve the host name {host!r} of {address}")
    if "http/2" in low or "http1" in low or "frame type" in low:
        return not_a_master(address, "it does not speak gRPC: it answered in HTTP/1, "
                                     "a web server?")
    if "no route" in low or "network is unreachable" in low or "timed out" in low:
        return Reach(f"cannot reach {address} ({_short(details)})")
    if "socket closed" in low or "connection reset" in low or "end of tcp stream" in low:
        kind = await speaks_http2(address)
        if kind == "http1":
            return not_a_master(address, "it does not speak gRPC: it answered in HTTP/1, "
                                         "a web server?")
        if kind in ("closed", "silent") and await speaks_tls(address):
            if tls_used if tls_used is not None else _tls_enabled():
                return Reach(
                    f"{address} closed the TLS connection: does it require a client "
                    "certificate (LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE)?",
                    permanent=True,
                )
            return Reach(
                f"{address} requires TLS: set LIBPROCESS_SSL_ENABLED=true and "
                "LIBPROCESS_SSL_CA_FILE to the CA of its certificate",
                permanent=True,
            )
        if kind in ("closed", "silent"):
            return not_a_master(address, "it does not speak gRPC: it hung up on a gRPC "
                                         "client, ZooKeeper or another service?")
        return Reach(f"{address} closed the connection ({_short(details)})")
    return Reach(f"{address} is unavailable ({_short(details) or 'no details'})")
