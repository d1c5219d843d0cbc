"""The map and reduce tasks of `wordcount`: what runs as a process on an agent.

A **word** is a maximal run of bytes that are not ASCII whitespace (space, \\t, \\n, \\r, \\v,
\\f), lowercased in ASCII: exactly `collections.Counter(data.lower().split())` over the
file's bytes. `count_words` is that definition; the tests use it as the reference.

**Splits.** Map `i` of `n` gets the byte range `[start, end)`. It owns every word whose first
byte lies in that range (Hadoop's LineRecordReader rule, for words): the range is moved to
word boundaries by `align`, which leaves a position alone if it is 0, the end of the file, or
right after a whitespace byte, and otherwise moves it forward past the word it falls inside.
Neighbouring maps align their shared boundary the same way, so no word is cut or counted twice.

    map    --input F --start S --end E --reducers R --out DIR
           counts its range in blocks of BLOCK bytes and writes DIR/part-<r>.pkl (a dict of
           word -> count, partitioned by crc32(word) % R) and DIR/stats.json
    reduce --maps DIR1,DIR2,... --partition r --out FILE
           merges part-<r>.pkl of every map into FILE (a pickled dict) and FILE.stats.json

Outputs are written to a temporary name and renamed, so a retried task never leaves a torn file.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import time
import zlib
from collections import Counter
from collections.abc import Sequence

BLOCK = 8 * 1024 * 1024
WHITESPACE = b" \t\n\r\x0b\x0c"


def count_words(data: bytes) -> Counter[bytes]:
    """The reference definition of a word count."""
    return Counter(data.lower().split())


def align(f, position: int, size: int) -> int:  # noqa: ANN001 (a binary file)
    """The first word boundary at or after `position` (see the module docstring)."""
    if position <= 0:
        return 0
    if position >= size:
        return size
    f.seek(position - 1)
    if f.read(1) in (b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c"):
        return position
    while True:
        block = f.read(64 * 1024)
        if not block:
            return size
        cut = _first_whitespace(block)
        if cut >= 0:
            return f.tell() - len(block) + cut
        position += len(block)


def _first_whitespace(block: bytes) -> int:
    found = [
        i for i in (block.find(c) for c in (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c")) if i >= 0
    ]
    return min(found) if found else -1


def _last_whitespace(block: bytes) -> int:
    return max(block.rfind(c) for c in (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c"))


def count_range(path: str, start: int, end: int, block: int = BLOCK) -> Counter[bytes]:
    """The words whose first byte lies in `[start, end)` of the file at `path`."""
    counts: Counter[bytes] = Counter()
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        lo = align(f, start, size)
        hi = align(f, end, size)
        f.seek(lo)
        left = hi - lo
        carry = b""
        while left > 0:
            data = f.read(min(block, left))
            if not data:
                break
            left -= len(data)
            data = carry + data
            cut = _last_whitespace(data) if left > 0 else len(data)
            if cut < 0:  # One giant word so far: keep reading.
                carry = data
                continue
            counts.update(data[:cut].lower().split())
            carry = data[cut:]
        if carry:
            counts.update(carry.lower().split())
    return counts


def partition_of(word: bytes, reducers: int) -> int:
    return zlib.crc32(word) % reducers


def _write_atomic(path: str, payload: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)


def _stats(started: float, **extra: object) -> bytes:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return json.dumps(
        {
            "seconds": time.monotonic() - started,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "max_rss_bytes": usage.ru_maxrss * 1024,
            **extra,
        }
    ).encode()


def run_map(ns: argparse.Namespace) -> None:
    started = time.monotonic()
    counts = count_range(ns.input, ns.start, ns.end)
    parts: list[dict[bytes, int]] = [{} for _ in range(ns.reducers)]
    if ns.reducers == 1:
        parts[0] = dict(counts)
    else:
        for word, n in counts.items():
            parts[partition_of(word, ns.reducers)][word] = n
    os.makedirs(ns.out, exist_ok=True)
    for r, part in enumerate(parts):
        _write_atomic(
            os.path.join(ns.out, f"part-{r}.pkl"),
            pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL),
        )
    _write_atomic(
        os.path.join(ns.out, "stats.json"),
        _stats(started, words=sum(counts.values()), distinct=len(counts)),
    )
    print(f"map {ns.start}-{ns.end}: {sum(counts.values())} words, {len(counts)} distinct")


def run_reduce(ns: argparse.Namespace) -> None:
    started = time.monotonic()
    total: Counter[bytes] = Counter()
    for folder in ns.maps.split(","):
        with open(os.path.join(folder, f"part-{ns.partition}.pkl"), "rb") as f:
            total.update(pickle.load(f))
    _write_atomic(ns.out, pickle.dumps(dict(total), protocol=pickle.HIGHEST_PROTOCOL))
    _write_atomic(ns.out + ".stats.json", _stats(started, distinct=len(total)))
    print(f"reduce {ns.partition}: {len(total)} distinct words")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wordcount-task")
    sub = parser.add_subparsers(dest="phase", required=True)
    m = sub.add_parser("map")
    m.add_argument("--input", required=True)
    m.add_argument("--start", type=int, required=True)
    m.add_argument("--end", type=int, required=True)
    m.add_argument("--reducers", type=int, default=1)
    m.add_argument("--out", required=True)
    r = sub.add_parser("reduce")
    r.add_argument("--maps", required=True)
    r.add_argument("--partition", type=int, required=True)
    r.add_argument("--out", required=True)
    ns = parser.parse_args(argv)
    try:
        run_map(ns) if ns.phase == "map" else run_reduce(ns)
    except OSError as e:
        print(f"wordcount {ns.phase}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
