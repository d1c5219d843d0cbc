"""Master detection: where is the leading master now?

`--master host:port` names one standalone master. `--master zk://host:port[,host:port]/path`
names a ZooKeeper ensemble where masters contend (see daemons.master.contender); the detector
reads the lowest `json.info_*` znode. Clients call `detect()` for the current leader and
`detect(previous)` to wait until it differs from `previous` (after a failover).
"""

from __future__ import annotations

import asyncio
import re


class DetectorError(ValueError):
    pass


_HOSTPORT = re.compile(r"^\[?([A-Za-z0-9.\-:]+?)\]?:(\d{1,5})$")


def parse_hostport(text: str) -> tuple[str, int]:
    m = _HOSTPORT.match(text.strip())
    if not m or not 0 < int(m.group(2)) < 65536:
        raise DetectorError(f"bad master address {text!r}: expected host:port or zk://host:port/path")
    return m.group(1), int(m.group(2))


class MasterDetector:
    """Tells where the leading master is."""

    async def detect(self, previous: str | None = None) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class StandaloneDetector(MasterDetector):
    """One fixed master: `detect` always answers it (after a pause when asked for a change)."""

    def __init__(self, address: str) -> None:
        host, port = parse_hostport(address)
        self.address = f"{host}:{port}"

    async def detect(self, previous: str | None = None) -> str:
        if previous == self.address:
            # The only master there is went away: give it a moment before trying it again.
            await asyncio.sleep(0.5)
        return self.address


def detector_for(master: str) -> MasterDetector:
    """The detector for a `--master` value."""
    master = master.strip()
    if master.startswith("zk://"):
        try:
            from daemons.common.zookeeper import ZooKeeperDetector  # type: ignore[import-not-found]
        except ImportError:
            raise DetectorError("zk:// masters are not supported by this build") from None
        return ZooKeeperDetector(master)
    return StandaloneDetector(master)
