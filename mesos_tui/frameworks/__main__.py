"""`python -m mesos_tui.frameworks NAME ...`: run one of the seed frameworks by name.

python -m mesos_tui.frameworks pi 10 100 --master 127.0.0.1:5050
python -m mesos_tui.frameworks wordcount big.txt --parallelism 2 --master ...
python -m mesos_tui.frameworks gang 4 --cpus 1 --master ... -- hostname
python -m mesos_tui.frameworks batch --job "sleep 1" --job "echo hi" --master ...
python -m mesos_tui.frameworks demo --master ...
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

FRAMEWORKS = {
    "wordcount": "Spark/Hadoop-style map and reduce word count of a file",
    "pi": "Hadoop's quasi-Monte-Carlo pi example: pi MAPS SAMPLES",
    "gang": "MPI-style gang: N ranks at once or none: gang N -- CMD",
    "batch": "Torque-style job queue with qstat",
    "demo": "keep pi, wordcount and batch running on a loop",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in FRAMEWORKS:
        out = sys.stdout if args and args[0] in ("-h", "--help") else sys.stderr
        if args and args[0] not in ("-h", "--help"):
            print(f"unknown framework {args[0]!r}", file=out)
        print("usage: python -m mesos_tui.frameworks NAME [args...]\n", file=out)
        for name, what in FRAMEWORKS.items():
            print(f"  {name:<10} {what}", file=out)
        return 0 if out is sys.stdout else 2
    module = importlib.import_module(f"mesos_tui.frameworks.{args[0]}")
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
