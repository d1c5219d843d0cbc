"""Fixtures for the TUI's Pilot tests: a synthetic cluster in a mirror, a pinned clock and
timezone (so screens are the same on every machine), and a fake master to record calls."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from mesos_tui.client.mirror import ClusterMirror
from mesos_tui.client.operator import CallResult
from mesos_tui.tui import format as tui_format
from mesos_tui.tui import synthetic
from mesos_tui.tui.app import MesosApp

NOW = 1_700_000_000.0
SIZE = (160, 45)


class FakeControl:
    """Records what the app asked the master to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult:
        self.calls.append(("kill", task_id, framework_id or ""))
        return CallResult(True, "accepted")

    async def pause_allocator(self) -> CallResult:
        self.calls.append(("pause",))
        return CallResult(True, "accepted")

    async def resume_allocator(self) -> CallResult:
        self.calls.append(("resume",))
        return CallResult(True, "accepted")

    async def run_allocation(self) -> CallResult:
        self.calls.append(("step",))
        return CallResult(True, "accepted")


@pytest.fixture(autouse=True)
def pinned_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("MESOS_TUI_CONFIG", "/nonexistent/keys.toml")
    time.tzset()
    monkeypatch.setattr(tui_format, "clock", lambda: NOW + 30)
    yield
    time.tzset()


def make_mirror(agents: int = 12, frameworks: int = 5, tasks: int = 120,
                offers: int = 6) -> ClusterMirror:
    m = ClusterMirror(clock=lambda: NOW)
    m.apply(synthetic.snapshot(agents=agents, frameworks=frameworks, tasks=tasks,
                               offers=offers, now=NOW))
    return m


@pytest.fixture
def mirror() -> ClusterMirror:
    return make_mirror()


@pytest.fixture
def control() -> FakeControl:
    return FakeControl()


@pytest.fixture
def app(mirror: ClusterMirror, control: FakeControl) -> MesosApp:
    return MesosApp(mirror=mirror, control=control, connect=False, keymap={},
                    clock=lambda: NOW)


def _ensure_env() -> None:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


_ensure_env()


def screen_text(app: MesosApp) -> str:
    """The text on the screen (from the SVG export), for 'is it shown' checks."""
    import html
    import re

    svg = app.export_screenshot()
    parts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(parts)).replace("\xa0", " ")
