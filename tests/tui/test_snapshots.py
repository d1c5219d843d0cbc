"""SVG snapshots of every view, compared with the committed files in tests/tui/snapshots/.

The cluster, clock and timezone are pinned (conftest), so a difference is a real change in
what is drawn. After an intended change, regenerate with `UPDATE_SNAPSHOTS=1 pytest
tests/tui/test_snapshots.py` and look at the SVGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mesos_tui.tui.app import MesosApp
from tests.tui.conftest import SIZE

SNAPSHOTS = Path(__file__).parent / "snapshots"


def check(name: str, svg: str) -> None:
    path = SNAPSHOTS / f"{name}.svg"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg)
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"no snapshot {path.name} yet: written, look at it and commit it")
        return
    assert svg == path.read_text(), (
        f"{name} differs from {path}; if the change is intended, rerun with UPDATE_SNAPSHOTS=1")


@pytest.mark.parametrize("key,name", [("1", "agents"), ("2", "frameworks"), ("3", "tasks"),
                                      ("4", "offers"), ("5", "events"), ("6", "roles"),
                                      ("7", "pulse")])
async def test_view_snapshot(app: MesosApp, monkeypatch: pytest.MonkeyPatch, key: str,
                             name: str) -> None:
    monkeypatch.setattr(MesosApp, "tick", lambda self: None)  # no clock-driven redraws
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        check(name, app.export_screenshot(title=f"mesos-tui {name}"))


async def test_kill_confirmation_snapshot(app: MesosApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MesosApp, "tick", lambda self: None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "space", "space", "ctrl+k")
        await pilot.pause()
        check("kill-confirm", app.export_screenshot(title="mesos-tui kill"))
