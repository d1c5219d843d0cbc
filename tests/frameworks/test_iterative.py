"""The iterative job (logistic regression) both ways on a real cluster: the same weights as the
same arithmetic in this process; Hadoop-style launches a task per partition per iteration,
Spark-style one cached partition per executor, whatever the iteration count."""

from __future__ import annotations

from pathlib import Path

from mesos_tui.frameworks._iterative_math import generate, gradient, parse, step
from mesos_tui.frameworks.iterative import run_iterative
from tests.cluster import Cluster

POINTS, DIMS, PARTITIONS, ITERATIONS = 600, 4, 3, 4


def reference(partitions: list[Path]) -> list[float]:
    data = [parse(p) for p in partitions]
    count = sum(len(d[1]) for d in data)
    w = [0.0] * DIMS
    for _ in range(ITERATIONS):
        w = step(w, [gradient(d, w) for d in data], count, 1.0)
    return w


async def test_both_modes_learn_the_same_weights(cluster: Cluster, tmp_path: Path) -> None:
    partitions = generate(tmp_path / "data", POINTS, DIMS, PARTITIONS)
    expected = reference(partitions)
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    hadoop = await run_iterative(
        cluster.master_address, partitions, "hadoop", ITERATIONS, DIMS, tmp_path / "h")
    spark = await run_iterative(
        cluster.master_address, partitions, "spark", ITERATIONS, DIMS, tmp_path / "s")
    assert hadoop.weights == expected
    assert spark.weights == expected
    assert hadoop.tasks_launched == PARTITIONS * ITERATIONS
    assert spark.tasks_launched == PARTITIONS  # the partitions stay in the executors
    assert len(spark.iteration_seconds) == ITERATIONS
    # Spark-style keeps no executor once done: the framework's teardown shut them down.
    state = await cluster.operator.state()
    assert not state.get_executors.executors
