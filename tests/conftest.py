"""Shared fixtures: `cluster` (real master and agent processes for one test, always cleaned
up; their output is attached to the report of a failing test)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# Make `tests.cluster` importable from every test directory (tests/ is not a package).
_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tests.cluster import Cluster  # noqa: E402

# The suite's frameworks run as the user running the suite (Mesos's default), root on the test
# machines; agents refuse root tasks unless told (--allow_root_tasks), so the agents the tests
# start are told, through the environment. Tests of the rule itself set the flag explicitly.
if os.geteuid() == 0:
    os.environ.setdefault("MESOS_ALLOW_ROOT_TASKS", "true")


@pytest.fixture
async def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    c = Cluster(tmp_path / "cluster")
    request.node._mesos_cluster = c
    try:
        yield c
    finally:
        await c.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    c = getattr(item, "_mesos_cluster", None)
    if c is not None and report.failed and report.when in ("setup", "call"):
        report.sections.append(("cluster logs", c.logs()))
    return report
