"""A map task of `pi`: count quasi-random points of the unit square inside the inscribed circle.

Hadoop's QuasiMonteCarlo example: point `k` is (radical inverse of k in base 2, radical inverse
of k in base 3), the Halton sequence; map `i` of a job with S samples per map takes the points
`i*S + 1 .. i*S + S`, shifts them by -0.5 and counts those with x^2 + y^2 <= 0.25. It prints one
line, `inside N outside M`, which the framework reads from the task's stdout.

    python -m mesos_tui.frameworks._pi_task --offset 0 --samples 1000
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def radical_inverse(k: int, base: int) -> float:
    """k's digits in `base`, mirrored around the point: the van der Corput sequence."""
    result, scale = 0.0, 1.0 / base
    while k:
        k, digit = divmod(k, base)
        result += digit * scale
        scale /= base
    return result


def count_inside(offset: int, samples: int) -> tuple[int, int]:
    """(inside, outside) for Halton points offset+1 .. offset+samples."""
    inside = 0
    for k in range(offset + 1, offset + samples + 1):
        x = radical_inverse(k, 2) - 0.5
        y = radical_inverse(k, 3) - 0.5
        if x * x + y * y <= 0.25:
            inside += 1
    return inside, samples - inside


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pi-task")
    parser.add_argument("--offset", type=int, required=True)
    parser.add_argument("--samples", type=int, required=True)
    ns = parser.parse_args(argv)
    inside, outside = count_inside(ns.offset, ns.samples)
    print(f"inside {inside} outside {outside}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
