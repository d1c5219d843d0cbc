"""TLS for every port, configured the way Mesos configures libprocess (Mesos's docs/ssl.md).

An operator who knows Mesos sets the same environment variables here, for the master, the
agents and every client (frameworks, the TUI, the shell, mesos-execute):

    LIBPROCESS_SSL_ENABLED=true            outgoing connections use TLS; ports expect TLS
    LIBPROCESS_SSL_CERT_FILE=cert.pem      the certificate this process presents
    LIBPROCESS_SSL_KEY_FILE=key.pem        its private key
    LIBPROCESS_SSL_CA_FILE=ca.pem          the CA(s) that sign the peers' certificates
    LIBPROCESS_SSL_CA_DIR=/etc/ssl/mesos   or a directory of CA certificates (PEM files)
    LIBPROCESS_SSL_VERIFY_CERT=true        a server verifies a client certificate if presented
    LIBPROCESS_SSL_REQUIRE_CERT=true       a server requires (and verifies) client certificates
    LIBPROCESS_SSL_SUPPORT_DOWNGRADE=true  a server also accepts plain-text connections

The master and the agent take the same settings as flags (`--ssl_enabled`, `--ssl_cert_file`,
`--ssl_key_file`, `--ssl_ca_file`, `--ssl_ca_dir`, `--ssl_verify_cert`, `--ssl_require_cert`,
`--ssl_support_downgrade`; as every flag, also `MESOS_SSL_*`). Precedence, highest first: the
command line, `MESOS_SSL_*`, `LIBPROCESS_SSL_*`. Mesos's pre-1.0 `SSL_*` spellings are not
read: `SSL_CERT_FILE` means something else to OpenSSL (MESOS-5863).

Where this differs from Mesos, it is stricter: only TLS 1.2 and later; a client always
verifies the server's certificate against the CA (gRPC offers no way not to), so a client
needs `LIBPROCESS_SSL_CA_FILE` (or the system's trust store) for a self-signed cluster. A
server presents `CERT_FILE`/`KEY_FILE`; a client presents them too when set (for a master with
`REQUIRE_CERT`). Missing or unreadable files are one clear `TlsError` at start-up.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "LIBPROCESS_SSL_"
# What a TLS port offers, in its order of preference: gRPC clients offer h2 alone (and insist
# on it); a client offering both (curl, browsers) gets HTTP/1.1, the only HTTP aiohttp serves.
ALPN = ["http/1.1", "h2"]


class TlsError(Exception):
    """A TLS setting that cannot work; the message is one line naming the setting."""


@dataclass(frozen=True, slots=True)
class TlsConfig:
    enabled: bool = False
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    ca_dir: str = ""
    verify_cert: bool = False
    require_cert: bool = False
    support_downgrade: bool = False

    @property
    def scheme(self) -> str:
        """The URL scheme of this cluster's HTTP API: Mesos clients pick it from their own
        SSL settings (nothing in MasterInfo says it), and so do ours."""
        return "https" if self.enabled else "http"


_BOOLS = {f.name for f in fields(TlsConfig) if f.type in (bool, "bool")}
NAMES = [f.name for f in fields(TlsConfig)]


def _bool(name: str, text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise TlsError(f"{ENV_PREFIX}{name.upper()}={text!r} is not true or false (true|1, false|0)")


def from_env(env: Mapping[str, str] | None = None) -> TlsConfig:
    """The settings of `LIBPROCESS_SSL_*` (TlsError for a bad boolean)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name in NAMES:
        text = env.get(ENV_PREFIX + name.upper())
        if text is None:
            continue
        values[name] = _bool(name, text) if name in _BOOLS else text.strip()
    return TlsConfig(**values)


def add_flags(fs: Any) -> None:
    """Add the `--ssl_*` flags to a daemon's FlagSet (unset: the environment decides)."""
    from daemons.common import flags as F

    help_text = {
        "enabled": "TLS on this daemon's ports and its outgoing connections "
                   "(default: $LIBPROCESS_SSL_ENABLED, else false)",
        "cert_file": "certificate (PEM) presented by this daemon (default: $LIBPROCESS_SSL_CERT_FILE)",
        "key_file": "private key (PEM) of --ssl_cert_file (default: $LIBPROCESS_SSL_KEY_FILE)",
        "ca_file": "CA certificate(s) (PEM) peers' certificates are verified with "
                   "(default: $LIBPROCESS_SSL_CA_FILE, else the system's)",
        "ca_dir": "directory of CA certificates (PEM, indexed by `openssl rehash`) "
                  "(default: $LIBPROCESS_SSL_CA_DIR)",
        "verify_cert": "verify a client's certificate when it presents one "
                       "(default: $LIBPROCESS_SSL_VERIFY_CERT, else false)",
        "require_cert": "require every client to present a certificate the CA signed "
                        "(default: $LIBPROCESS_SSL_REQUIRE_CERT, else false)",
        "support_downgrade": "also accept plain-text connections on a TLS port "
                             "(default: $LIBPROCESS_SSL_SUPPORT_DOWNGRADE, else false)",
    }
    for name in NAMES:
        kind = F.BOOL if name in _BOOLS else F.STR
        fs.add(f"ssl_{name}", kind, None, help_text[name])


def from_flags(ns: Any, env: Mapping[str, str] | None = None) -> TlsConfig:
    """The daemon's settings: each `--ssl_*` flag given (or `MESOS_SSL_*`), else
    `LIBPROCESS_SSL_*`."""
    base = from_env(env)
    given = {n: getattr(ns, f"ssl_{n}") for n in NAMES if getattr(ns, f"ssl_{n}", None) is not None}
    return replace(base, **given)


def _readable(what: str, path: str) -> None:
    if not os.path.isfile(path):
        raise TlsError(f"{what} {path!r} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise TlsError(f"{what} {path!r} cannot be read (permissions)")


def check(config: TlsConfig, server: bool) -> None:
    """Refuse settings that cannot work, with one line naming the setting: a server needs a
    certificate and key; every file named must exist and be readable, and parse."""
    if not config.enabled:
        return
    if server and not (config.cert_file and config.key_file):
        missing = "LIBPROCESS_SSL_CERT_FILE" if not config.cert_file else "LIBPROCESS_SSL_KEY_FILE"
        raise TlsError(f"TLS is enabled but {missing} (--ssl_{missing[len(ENV_PREFIX):].lower()}) is not set: "
                       "a TLS server needs a certificate and its key")
    if bool(config.cert_file) != bool(config.key_file):
        raise TlsError("LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE go together: set both or neither")
    if config.cert_file:
        _readable("LIBPROCESS_SSL_CERT_FILE", config.cert_file)
        _readable("LIBPROCESS_SSL_KEY_FILE", config.key_file)
    if config.ca_file:
        _readable("LIBPROCESS_SSL_CA_FILE", config.ca_file)
    if config.ca_dir and not os.path.isdir(config.ca_dir):
        raise TlsError(f"LIBPROCESS_SSL_CA_DIR {config.ca_dir!r} is not a directory")
    if (config.require_cert or config.verify_cert) and server and not (config.ca_file or config.ca_dir):
        raise TlsError("verifying client certificates (LIBPROCESS_SSL_VERIFY_CERT or _REQUIRE_CERT) "
                       "needs LIBPROCESS_SSL_CA_FILE or LIBPROCESS_SSL_CA_DIR")
    # Parse everything now: a key that does not match its certificate is a start-up error,
    # not a failed handshake later.
    if server:
        server_context(config)
    else:
        client_context(config)


def key_warning(config: TlsConfig) -> str | None:
    """A line to log when the private key can be read by others than its owner (it works, but
    anyone who can read it can impersonate this daemon)."""
    if not (config.enabled and config.key_file):
        return None
    try:
        mode = os.stat(config.key_file).st_mode & 0o777
    except OSError:
        return None
    if mode & 0o077:
        return (f"LIBPROCESS_SSL_KEY_FILE {config.key_file!r} is readable by others "
                f"(mode {mode:04o}): chmod 600 it")
    return None


def _load(context: ssl.SSLContext, config: TlsConfig, default_ca: bool) -> None:
    if config.cert_file:
        try:
            context.load_cert_chain(config.cert_file, config.key_file)
        except (ssl.SSLError, OSError, ValueError) as e:
            raise TlsError(
                f"cannot use LIBPROCESS_SSL_CERT_FILE {config.cert_file!r} with "
                f"LIBPROCESS_SSL_KEY_FILE {config.key_file!r}: {_reason(e)}"
            ) from None
    if config.ca_file or config.ca_dir:
        try:
            context.load_verify_locations(cafile=config.ca_file or None, capath=config.ca_dir or None)
        except (ssl.SSLError, OSError, ValueError) as e:
            raise TlsError(f"cannot use LIBPROCESS_SSL_CA_FILE {config.ca_file!r}: {_reason(e)}") from None
    elif default_ca:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLError) and e.reason:
        return e.reason.replace("_", " ").lower()
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def server_context(config: TlsConfig) -> ssl.SSLContext:
    """The context a TLS port serves with: TLS 1.2+, ALPN h2 and http/1.1, client
    certificates required (REQUIRE_CERT), verified when presented (VERIFY_CERT), or ignored."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(ALPN)
    _load(context, config, default_ca=False)
    if config.require_cert:
        context.verify_mode = ssl.CERT_REQUIRED
    elif config.verify_cert:
        context.verify_mode = ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def client_context(config: TlsConfig, alpn: Sequence[str] = ("http/1.1",)) -> ssl.SSLContext:
    """The context an HTTPS client (aiohttp, requests' `verify=config.ca_file`) dials with: the
    server's certificate verified against the CA, the host name checked, our own certificate
    presented when we have one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        context.set_alpn_protocols(list(alpn))
    _load(context, config, default_ca=True)
    return context


def _pem(config: TlsConfig) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(CA certificates, private key, certificate chain) as gRPC takes them; TlsError naming
    the file that cannot be read."""
    try:
        return _read_pem(config)
    except OSError as e:
        raise TlsError(f"cannot read {e.filename!r} (a LIBPROCESS_SSL_* file): {e.strerror or e}") from None


@functools.lru_cache(maxsize=8)
def _read_pem(config: TlsConfig) -> tuple[bytes | None, bytes | None, bytes | None]:
    roots: bytes | None = None
    if config.ca_file or config.ca_dir:
        parts = []
        if config.ca_file:
            parts.append(Path(config.ca_file).read_bytes())
        if config.ca_dir:
            for entry in sorted(Path(config.ca_dir).iterdir()):
                try:
                    data = entry.read_bytes() if entry.is_file() else b""
                except OSError:
                    continue
                if b"-----BEGIN CERTIFICATE-----" in data:
                    parts.append(data)
        roots = b"\n".join(parts)
    key = Path(config.key_file).read_bytes() if config.key_file else None
    chain = Path(config.cert_file).read_bytes() if config.cert_file else None
    return roots, key, chain


def channel_credentials(config: TlsConfig) -> Any:
    """gRPC channel credentials: the server verified with the CA (else the system's roots),
    our certificate presented when we have one."""
    import grpc

    roots, key, chain = _pem(config)
    return grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=chain)


def server_credentials(config: TlsConfig) -> Any:
    """gRPC server credentials for a port gRPC serves by itself (the agent's Files API)."""
    import grpc

    roots, key, chain = _pem(config)
    assert key is not None and chain is not None
    return grpc.ssl_server_credentials(
        [(key, chain)],
        root_certificates=roots if (config.require_cert or config.verify_cert) else None,
        require_client_auth=config.require_cert,
    )


def acceptor_options(config: TlsConfig) -> dict[str, Any]:
    """What a SharedPort (daemons/common/acceptor.py) takes to serve with `config`: TLS
    terminated there, plain text accepted too only with SUPPORT_DOWNGRADE."""
    if not config.enabled:
        return {"ssl_context": None, "downgrade": False}
    return {"ssl_context": server_context(config), "downgrade": config.support_downgrade}


# ------------------------------------------------------------------ this process's settings

_configured: TlsConfig | None = None


def configure(config: TlsConfig | None) -> None:
    """Make `config` this process's settings (a daemon, from its flags); None: the
    environment's again."""
    global _configured
    _configured = config


def current() -> TlsConfig:
    """This process's settings: what `configure` set, else `LIBPROCESS_SSL_*` now. A bad
    environment value is a TlsError."""
    return _configured if _configured is not None else from_env()


def channel(address: str, options: Sequence[tuple[str, Any]] = (), config: TlsConfig | None = None) -> Any:
    """A `grpc.aio` channel to `address`: TLS when this process's settings say so."""
    import grpc

    config = config or current()
    if config.enabled:
        return grpc.aio.secure_channel(address, channel_credentials(config), options=list(options))
    return grpc.aio.insecure_channel(address, options=list(options))


def sync_channel(address: str, options: Sequence[tuple[str, Any]] = (), config: TlsConfig | None = None) -> Any:
    """The blocking `grpc` channel counterpart of `channel`."""
    import grpc

    config = config or current()
    if config.enabled:
        return grpc.secure_channel(address, channel_credentials(config), options=list(options))
    return grpc.insecure_channel(address, options=list(options))


def env_of(config: TlsConfig) -> dict[str, str]:
    """`config` as `LIBPROCESS_SSL_*` variables, for a child process."""
    out = {}
    for name in NAMES:
        value = getattr(config, name)
        if value in ("", None) or (value is False and name != "enabled"):
            continue
        out[ENV_PREFIX + name.upper()] = ("true" if value else "false") if name in _BOOLS else str(value)
    return out
