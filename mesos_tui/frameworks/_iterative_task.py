"""One Hadoop-style task of the iterative job: read a partition from disk, compute its gradient
at the given weights, write it out, exit. Every iteration starts these afresh, so every
iteration re-reads and re-parses its data (what the paper's Hadoop runs pay).

    python -m mesos_tui.frameworks._iterative_task PARTITION WEIGHTS_JSON OUT_JSON
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from mesos_tui.frameworks._iterative_math import gradient, parse


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: _iterative_task PARTITION WEIGHTS_JSON OUT_JSON", file=sys.stderr)
        return 2
    partition, weights, out = args
    with open(weights, encoding="ascii") as f:
        w = json.load(f)
    data = parse(partition)
    g = gradient(data, w)
    temporary = f"{out}.tmp"
    with open(temporary, "w", encoding="ascii") as f:
        json.dump({"gradient": g, "count": len(data[1])}, f)
    os.replace(temporary, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
