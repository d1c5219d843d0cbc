"""wordcount: the map/reduce result equals one `collections.Counter` over the whole file.

A word is `bytes.lower().split()` (runs of non-ASCII-whitespace bytes, ASCII-lowercased): the
definition in `_wordcount_task.count_words`, used here as the reference."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from mesos_tui.frameworks._wordcount_task import count_range, count_words
from mesos_tui.frameworks.wordcount import byte_ranges, top_words, wordcount
from tests.cluster import Cluster

SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", " \n\t", "\x0b", "\x0c"]


def tricky_text(seed: int, words: int) -> bytes:
    """Mixed case, unicode, apostrophes, runs of mixed whitespace, and long words."""
    rng = random.Random(seed)
    vocab = [
        "The",
        "the",
        "THE",
        "mesos",
        "Offer",
        "don't",
        "naïve",
        "日本語",
        "x",
        "a-b",
        "z" * 300,
        "DRF",
        "drf,",
        "(agent)",
    ]
    parts = []
    for _ in range(words):
        parts.append(rng.choice(vocab))
        parts.append(rng.choice(SEPARATORS))
    return "".join(parts).encode()


def test_every_split_point_counts_each_word_once(tmp_path: Path) -> None:
    data = b"  alpha beta\tgamma\n\ndelta  epsilon zeta-eta theta  "
    path = tmp_path / "small.txt"
    path.write_bytes(data)
    expected = count_words(data)
    for cut in range(len(data) + 1):
        for block in (1, 3, 64):
            left = count_range(str(path), 0, cut, block=block)
            right = count_range(str(path), cut, len(data), block=block)
            assert left + right == expected, (cut, block)


def test_ranges_of_tricky_text_add_up(tmp_path: Path) -> None:
    data = tricky_text(3, 5000)
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    total: Counter[bytes] = Counter()
    for start, end in byte_ranges(len(data), 7):
        total += count_range(str(path), start, end, block=1000)
    assert total == count_words(data)


@pytest.mark.parametrize("parallelism", [1, 3])
async def test_wordcount_equals_counter(cluster: Cluster, tmp_path: Path, parallelism: int) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    await cluster.start_agent("cpus:2;mem:1024")
    data = tricky_text(parallelism, 60_000)
    path = tmp_path / "input.txt"
    path.write_bytes(data)

    code, fw = await wordcount(
        str(path),
        cluster.master_address,
        parallelism=parallelism,
        resources="cpus:0.5;mem:128",
        scratch=str(tmp_path / "scratch"),
        timeout=60,
    )

    assert code == 0, fw.error_message
    assert fw.result is not None
    expected = Counter(data.lower().split())
    assert fw.result.counts == dict(expected)
    assert fw.result.total == sum(expected.values())
    assert (
        top_words(fw.result.counts, 3)
        == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    )
    tasks = await cluster.operator.tasks()
    names = sorted(t.name for t in tasks.completed_tasks)
    assert names == sorted(
        [f"map-{i}" for i in range(parallelism)] + [f"reduce-{r}" for r in range(parallelism)]
    )


async def test_failing_map_is_retried_bounded_then_reported_with_stderr(
    cluster: Cluster, tmp_path: Path
) -> None:
    await cluster.start_master()
    await cluster.start_agent("cpus:2;mem:1024")
    path = tmp_path / "input.txt"
    path.write_bytes(b"one two three\n")
    scratch = tmp_path / "not-a-folder"
    scratch.write_text("the map tasks cannot create their output folders under a file")

    code, fw = await wordcount(
        str(path),
        cluster.master_address,
        parallelism=1,
        resources="cpus:0.5;mem:128",
        scratch=str(scratch),
        max_retries=1,
        timeout=60,
    )

    assert code == 1 and fw.result is None
    assert fw.error_message is not None
    assert "map-0 failed after 2 attempts" in fw.error_message
    assert "stderr tail" in fw.error_message and "wordcount map:" in fw.error_message
    assert "Not a directory" in fw.error_message
    attempts = [
        t for t in (await cluster.operator.state()).get_tasks.completed_tasks if t.name == "map-0"
    ]
    assert len(attempts) == 2


async def test_wordcount_on_executors_equals_counter(cluster: Cluster, tmp_path: Path) -> None:
    """`--executors`: map i and reduce i run in executor `wordcount-i`'s one Python process."""
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    data = tricky_text(5, 30_000)
    path = tmp_path / "input.txt"
    path.write_bytes(data)

    code, fw = await wordcount(
        str(path), cluster.master_address, parallelism=2, resources="cpus:0.5;mem:128",
        scratch=str(tmp_path / "scratch"), timeout=60, executors=True,
    )

    assert code == 0, fw.error_message
    assert fw.result is not None
    assert fw.result.counts == dict(Counter(data.lower().split()))
    tasks = (await cluster.operator.tasks()).completed_tasks
    assert sorted((t.name, t.executor_id.value) for t in tasks) == [
        ("map-0", "wordcount-0"), ("map-1", "wordcount-1"),
        ("reduce-0", "wordcount-0"), ("reduce-1", "wordcount-1"),
    ]
    # One executor process per slot ran both its tasks: one run directory per executor.
    runs = sorted(p.parent.parent.parent.name for p in agent.work_dir.glob(
        "slaves/*/frameworks/*/executors/wordcount-*/runs/*-*/stdout"))
    assert runs == ["wordcount-0", "wordcount-1"]
