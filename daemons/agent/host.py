"""What this host offers: resource detection (as Mesos does it) and `--attributes` conversion.

Detected defaults, each used only where `--resources` does not name the resource:
- cpus: the logical CPUs;
- mem: total memory minus 1 GB left for the system, or half of it on a host with less than 2 GB;
- disk: free space of the work dir minus 5 GB, or half of it when less than 10 GB is free;
- ports: [31000-32000].
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import psutil

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2

MB = 1024 * 1024
GB_IN_MB = 1024
DEFAULT_PORTS = (31000, 32000)


def detect_resources(work_dir: str | Path) -> Resources:
    cpus = float(psutil.cpu_count(logical=True) or 1)
    total_mem = psutil.virtual_memory().total / MB
    mem = total_mem - GB_IN_MB if total_mem >= 2 * GB_IN_MB else total_mem / 2
    free_disk = shutil.disk_usage(_existing(Path(work_dir))).free / MB
    disk = free_disk - 5 * GB_IN_MB if free_disk >= 10 * GB_IN_MB else free_disk / 2
    return Resources(
        scalars={"cpus": cpus, "mem": float(int(mem)), "disk": float(int(disk))},
        ranges={"ports": [DEFAULT_PORTS]},
    )


def agent_resources(flag: Resources | None, work_dir: str | Path) -> Resources:
    """`--resources`, with the detected value of every standard resource it leaves out."""
    detected = detect_resources(work_dir)
    if flag is None:
        return detected
    given = flag.names()
    missing = Resources(
        scalars={k: v for k, v in detected.scalars.items() if k not in given},
        ranges={k: v for k, v in detected.ranges.items() if k not in given},
    )
    return flag + missing


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


_RANGES = re.compile(r"^\[\s*\d+\s*-\s*\d+\s*(,\s*\d+\s*-\s*\d+\s*)*\]$")
_SET = re.compile(r"^\{.*\}$")


def attributes_to_proto(attributes: Mapping[str, str]) -> list[mesos_pb2.Attribute]:
    """Mesos's typing of attribute values: a number is a scalar, `[a-b]` ranges, `{x,y}` a
    set, anything else text."""
    out: list[mesos_pb2.Attribute] = []
    for name, value in attributes.items():
        attribute = mesos_pb2.Attribute(name=name)
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None:
            attribute.type = mesos_pb2.Value.SCALAR
            attribute.scalar.value = number
        elif _RANGES.match(value):
            attribute.type = mesos_pb2.Value.RANGES
            for piece in value.strip()[1:-1].split(","):
                begin, _, end = piece.partition("-")
                attribute.ranges.range.add(begin=int(begin), end=int(end))
        elif _SET.match(value):
            attribute.type = mesos_pb2.Value.SET
            attribute.set.item.extend(x.strip() for x in value[1:-1].split(",") if x.strip())
        else:
            attribute.type = mesos_pb2.Value.TEXT
            attribute.text.value = value
        out.append(attribute)
    return out
