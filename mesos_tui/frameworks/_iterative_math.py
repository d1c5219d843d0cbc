"""The arithmetic of the iterative job (logistic regression by batch gradient descent), shared
by the framework, its command tasks and its executors so every mode computes the same numbers.

A partition is a text file, one point per line: `label x1 x2 ... xd` (label 0 or 1). The
gradient of the log-loss over a partition at weights `w` is `sum((sigmoid(w.x) - y) * x)`;
the framework adds the partitions' gradients in partition order and steps `w -= rate * g / n`.
Pure Python on purpose (no numpy on the agents): the cost is what matters, and both modes pay
the same for the arithmetic.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

Points = tuple[list[list[float]], list[float]]


def generate(folder: Path, points: int, dims: int, partitions: int, seed: int = 2010) -> list[Path]:
    """`partitions` files of about points/partitions points around a random separating plane."""
    rng = random.Random(seed)
    truth = [rng.uniform(-1, 1) for _ in range(dims)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{i:03d}.txt" for i in range(partitions)]
    files = [p.open("w", encoding="ascii") for p in paths]
    try:
        for k in range(points):
            x = [rng.gauss(0, 1) for _ in range(dims)]
            margin = sum(a * b for a, b in zip(truth, x, strict=True)) + rng.gauss(0, 0.5)
            label = 1 if margin > 0 else 0
            files[k % partitions].write(f"{label} " + " ".join(f"{v:.6f}" for v in x) + "\n")
    finally:
        for f in files:
            f.close()
    return paths


def parse(path: str | Path) -> Points:
    xs: list[list[float]] = []
    ys: list[float] = []
    with open(path, encoding="ascii") as f:
        for line in f:
            fields = line.split()
            if fields:
                ys.append(float(fields[0]))
                xs.append([float(v) for v in fields[1:]])
    return xs, ys


def gradient(data: Points, w: list[float]) -> list[float]:
    xs, ys = data
    g = [0.0] * len(w)
    for x, y in zip(xs, ys, strict=True):
        z = sum(a * b for a, b in zip(w, x, strict=True))
        p = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        e = p - y
        for j, v in enumerate(x):
            g[j] += e * v
    return g


def step(w: list[float], grads: list[list[float]], count: int, rate: float) -> list[float]:
    """One descent step from the partitions' gradients, added in partition order."""
    total = [0.0] * len(w)
    for g in grads:
        for j, v in enumerate(g):
            total[j] += v
    return [wj - rate * tj / count for wj, tj in zip(w, total, strict=True)]
