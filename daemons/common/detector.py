"""Master detection: where is the leading master now?

`--master host:port` names one standalone master. `--master zk://host:port[,host:port]/path`
names a ZooKeeper ensemble where masters contend (see daemons.master.contender); the detector
reads the lowest `json.info_*` znode. Clients call `detect()` for the current leader and
`detect(previous)` to wait until it differs from `previous` (after a failover).

Every `--master` (and the master's `--zk`) is checked here, in one place, before anything
dials it: `check_master()` answers the normalised address or raises a `DetectorError` whose
message says what is wrong and shows a right one, so each command can print it as its one line.
"""

from __future__ import annotations

import re


class DetectorError(ValueError):
    pass


HOSTPORT_EXAMPLE = "host:port, as in 127.0.0.1:5050"
ZK_EXAMPLE = "zk://host:port[,host:port]/path, as in zk://127.0.0.1:2181/mesos"
EXPECTED = f"expected {HOSTPORT_EXAMPLE}, or {ZK_EXAMPLE}"

# A DNS name or an IPv4 address; IPv6 goes in brackets.
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                       r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]+$")
_ZK_PATH_PART = re.compile(r"^[^\s/\x00]+$")


def _split_hostport(text: str) -> tuple[str, int]:
    """`host:port` -> (host, port); a ValueError saying what is wrong (without the input)."""
    if not text:
        raise ValueError("it is empty")
    if any(c.isspace() for c in text):
        raise ValueError("it contains spaces")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not _IPV6.match(host) or ":" not in host:
            raise ValueError("the IPv6 address in brackets is malformed")
        if not rest.startswith(":"):
            raise ValueError("it has no port (add :PORT)")
        port_text = rest[1:]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise ValueError("it has no port (add :PORT)")
        if not host:
            raise ValueError("it has no host before the ':'")
        if ":" in host:
            raise ValueError("put an IPv6 address in brackets, as in [::1]:5050")
        if not _HOSTNAME.match(host):
            raise ValueError(f"{host!r} is not a host name or IP address")
    if not port_text:
        raise ValueError("the port after ':' is missing")
    if not port_text.isdigit():
        raise ValueError(f"port {port_text!r} is not a number")
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range (1-65535)")
    return host, port


def parse_hostport(text: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) -> (host, port); a DetectorError saying what is wrong."""
    stripped = text.strip()
    try:
        return _split_hostport(stripped)
    except ValueError as e:
        raise DetectorError(f"bad master address {text!r}: {e}; {EXPECTED}") from None


_ZK_URL = re.compile(r"^zk://(?:[^@/]*@)?([^/]*)(.*)$", re.IGNORECASE)


def parse_zk_url(url: str) -> tuple[str, str]:
    """`zk://host:port[,host:port]/path` -> ("host:port,...", "/path"); a DetectorError
    saying what is wrong, with a right example."""

    def bad(why: str) -> DetectorError:
        return DetectorError(f"bad ZooKeeper URL {url!r}: {why}; expected {ZK_EXAMPLE}")

    m = _ZK_URL.match(url.strip())
    if not m:
        raise bad("it does not start with zk://")
    hosts, path = m.group(1), m.group(2)
    if not hosts:
        raise bad("it names no ZooKeeper host")
    for hp in hosts.split(","):
        if not hp:
            raise bad("a host in the list is empty (two commas?)")
        try:
            _split_hostport(hp)
        except ValueError as e:
            raise bad(f"{hp!r}: {e}") from None
    path = path.rstrip("/")
    if not path:
        raise bad("it has no path after the hosts (add /mesos)")
    for part in path[1:].split("/"):
        if not part:
            raise bad(f"path {path!r} has an empty part ('//')")
        if part in (".", "..") or not _ZK_PATH_PART.match(part):
            raise bad(f"path {path!r} has a part ZooKeeper does not allow ({part!r})")
    return hosts, path


def check_master(text: str) -> str:
    """A `--master` value, checked and normalised: `host:port` or `zk://hosts/path`.
    Raises DetectorError with one line saying what is wrong and what a right one looks like."""
    master = text.strip()
    if master[:5].lower() == "zk://":
        hosts, path = parse_zk_url(master)
        auth = master[5:].split("/", 1)[0]
        auth = auth[: auth.index("@") + 1] if "@" in auth else ""
        return f"zk://{auth}{hosts}{path}"
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", master)
    if scheme:
        raise DetectorError(
            f"bad master address {text!r}: {scheme.group(1)}:// is not supported; {EXPECTED}"
        )
    host, port = parse_hostport(master)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def read_zk_file(text: str) -> str:
    """`file:///path` -> the zk:// URL written in that file (Mesos's way of keeping the
    masters' ZooKeeper credentials out of command lines); anything else unchanged."""
    stripped = text.strip()
    if stripped[:7].lower() != "file://":
        return text
    path = stripped[7:]
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        raise DetectorError(f"cannot read the ZooKeeper URL from {path}: {e.strerror}") from None


def redact_zk(text: str) -> str:
    """A zk:// URL fit for logs and GET_FLAGS: the password replaced by `***`."""
    m = re.match(r"^(zk://[^:@/]*:)([^@/]*)(@.*)$", text.strip(), re.IGNORECASE)
    return f"{m.group(1)}***{m.group(3)}" if m else text


def check_zk_url(text: str) -> str:
    """A `--zk` value: `zk://hosts/path` or `file:///path` holding one, checked (DetectorError
    otherwise); empty: unset. A file:// value is kept as it is and read again when used."""
    if not text.strip():
        return ""
    if text.strip()[:7].lower() == "file://":
        check_zk_url(read_zk_file(text))
        return text.strip()
    if text.strip()[:5].lower() != "zk://":
        raise DetectorError(f"bad ZooKeeper URL {text!r}: it does not start with zk://; "
                            f"expected {ZK_EXAMPLE}")
    return check_master(text)


class MasterDetector:
    """Tells where the leading master is."""

    # Why no leader can be named right now, in words (None while all is well): what a client
    # that gives up says it tried.
    problem: str | None = None

    async def detect(self, previous: str | None = None) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class StandaloneDetector(MasterDetector):
    """One fixed master: `detect` always answers it (after a pause when asked for a change)."""

    def __init__(self, address: str) -> None:
        self.address = check_master(address)

    async def detect(self, previous: str | None = None) -> str:
        if previous == self.address:
            # The only master there is went away: give it a moment before trying it again.
            import asyncio  # Not at the top: `--help` of every command imports this module.

            await asyncio.sleep(0.5)
        return self.address


def detector_for(master: str) -> MasterDetector:
    """The detector for a `--master` value."""
    master = check_master(master)
    if master.startswith("zk://"):
        try:
            from daemons.common.zookeeper import ZooKeeperDetector  # type: ignore[import-not-found]
        except ImportError:
            raise DetectorError("zk:// masters are not supported by this build") from None
        return ZooKeeperDetector(master)
    return StandaloneDetector(master)
