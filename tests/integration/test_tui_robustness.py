"""The TUI survives what a person does, over a live cluster that keeps changing.

A real master and two real agents (`LocalCluster`), tasks starting and ending all the time
(a background loop launches short tasks through the app's own shell session), and the app
driven with Pilot the way a person drives it: every view at 40x12, 80x24, 120x40 and 250x70
with resizes in between, every binding of every view and of every screen those bindings
open, every command-palette entry, every `:` command. At the end the app is still running
and nothing was reported (`app.errors`, filled by `mesos_tui.tui.resilient`, is empty).

The same walk in --readonly mode: every key pressed, and not one task killed, launched or
the allocator paused.

Then the master goes away (SIGKILL) and comes back on the same address: the app says it is
reconnecting, survives keys and resizes in the meantime, and is connected again after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.screen import Screen

from mesos_tui.client.operator import CONNECTED
from mesos_tui.local import LocalCluster, free_port
from mesos_tui.tui.app import VIEWS, MesosApp

SIZES = [(40, 12), (80, 24), (120, 40), (250, 70)]
QUIT_KEYS = {"q", "ctrl+q", "ctrl+c", "super+c"}  # leaving the app is tested on its own


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    work = tmp_path_factory.mktemp("tui-robust")
    with LocalCluster(agents=2, master_port=free_port(), work_dir=str(work),
                      agent_resources="cpus:2;mem:1024;disk:1024;ports:[31000-31099]") as c:
        yield c


async def until(pilot: Any, what: str, ready: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


@contextlib.asynccontextmanager
async def churn(app: MesosApp) -> AsyncIterator[list[str]]:
    """Keep tasks starting and ending: a short task every ~0.3 s, some of them failing."""
    answers: list[str] = []

    async def loop() -> None:
        i = 0
        while True:
            i += 1
            command = "sleep 1" if i % 3 else "echo out; echo err >&2; exit 3"
            r = await app.shell.run(f"launch --name churn-{i} --cpus 0.1 --mem 16 -- {command}")
            answers.append(r.text)
            await asyncio.sleep(0.3)  # pacing of the load, not synchronisation

    task = asyncio.create_task(loop())
    try:
        yield answers
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def trace(line: str) -> None:
    if os.environ.get("TUI_ROBUSTNESS_TRACE"):
        print(f"{time.monotonic():.2f} {line}", flush=True)


# Moving a cursor or scrolling: pressed at the small sizes, where rows and columns run out;
# at the large ones the walk presses the keys that open, toggle or change something.
MOVES = ("cursor_", "page_", "first", "last", "scroll_", "focus_", "top", "bottom", "up",
         "down", "left", "right")


def active_keys(app: MesosApp, moves: bool = True) -> list[str]:
    """One key for each binding that is active now (j and down are one binding)."""
    seen: dict[tuple[str, str], str] = {}
    for key, active in sorted(app.active_bindings.items()):
        if key in QUIT_KEYS or active.binding.action.startswith("show_view"):
            continue  # views are switched by the test's own loop, at every size
        if not moves and active.binding.action.startswith(MOVES):
            continue
        seen.setdefault((type(active.node).__name__, active.binding.action), key)
    return sorted(seen.values())


async def back_to_base(app: MesosApp, pilot: Any) -> None:
    """Close whatever is open the way a person does (escape), up to the views."""
    for _ in range(6):
        if app.query_one("#command-bar").has_class("-visible"):
            await pilot.press("escape")
        elif len(app.screen_stack) > 1:
            await pilot.press("escape")
        else:
            return
        await pilot.pause()
    raise AssertionError(f"escape did not close {app.screen!r}")


async def press_everything(app: MesosApp, pilot: Any, depth: int = 0,
                           max_depth: int = 1, moves: bool = True) -> int:
    """Press every active binding of the current screen; walk each screen it opens."""
    base: Screen[Any] = app.screen
    pressed = 0
    for key in active_keys(app, moves):
        if app.screen is not base:  # an earlier key closed or replaced it: start again
            break
        trace(f"{'  ' * depth}{app.size} {type(base).__name__} {app.current_view} {key}")
        await pilot.press(key)  # (press waits until the screen has handled it)
        pressed += 1
        opened = app.screen
        if opened is not base and depth < max_depth:
            pressed += await press_everything(app, pilot, depth + 1, max_depth, moves)
        # Back to where we were: close what the key opened (a screen, the bar, a filter).
        while app.screen is not base and len(app.screen_stack) > 1:
            await pilot.press("escape")
            await pilot.pause()
        if app.query_one("#command-bar").has_class("-visible"):
            await pilot.press("escape")
            await pilot.pause()
        assert app.is_running, f"the app stopped after {key!r} on {base!r}"
    return pressed


def commands(task_id: str, finished_id: str) -> list[str]:
    """Every `:` command, with the arguments people give them (and some they should not)."""
    return [
        *VIEWS, "a", "fw", "t", "o", "e", "drf", "nodes", "r", "pu", "overview",
        "ctx", "ctx nosuchcontext", "ctx ../../etc",
        "help", "help kill", "help nosuchcommand",
        "agents", "frameworks", "frameworks -a", "tasks", "tasks -a", "tasks state:running",
        "tasks name:churn !state:finished", "tasks /[unclosed", "tasks state:",
        "offers", "offers --recent 5", "watch --limit 3",
        "filter state:running", "filter --clear", "/name:churn", "/",
        f"logs {task_id}", f"logs {finished_id}", "logs nosuchtask", "logs",
        f"logs --tail 5 {finished_id}",
        f"kill {finished_id}", "kill nosuchtask", "kill", f"kill {task_id}",
        "launch --name from-bar --cpus 0.1 --mem 16 -- sleep 2", "launch", "launch -- ",
        "launch --cpus lots -- true",
        "start", "start nosuchframework", "start pi 2 1000",
        "pause", "step", "resume",
        "nosuchcommand", "!!", "''", '"unclosed',
    ]


async def run_bar(app: MesosApp, pilot: Any, line: str) -> None:
    await pilot.press("colon")
    await pilot.pause()
    bar = app.query_one("#command-bar")
    bar.value = line  # type: ignore[attr-defined]
    await pilot.press("enter")
    await pilot.pause()
    running = [w for w in app.workers if w.group == "command"]
    if running:
        await asyncio.wait_for(app.workers.wait_for_complete(running), 20)
    await pilot.pause()


async def palette(app: MesosApp, pilot: Any, title: str) -> None:
    """Open the palette, type the entry's title, and run it once the palette shows it."""
    await pilot.press("ctrl+p")
    await until(pilot, "the palette", lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*title)
    results = app.screen.query_one(CommandList)

    def found() -> bool:  # the palette searches in a worker of its own
        index = results.highlighted
        return index is not None and title in str(results.get_option_at_index(index).prompt)

    await until(pilot, f"the palette to find {title!r}", found)
    await pilot.press("enter")
    await pilot.pause()


@contextlib.asynccontextmanager
async def live_app(cluster: LocalCluster, size: tuple[int, int],
                   readonly: bool = False) -> AsyncIterator[Any]:
    """The app on the live cluster, with tasks starting and ending all the while; yields
    the pilot once there is a running and a finished task to act on. On the way out: the
    app is still running and nothing was reported."""
    app = MesosApp(cluster.master, keymap={}, readonly=readonly)
    async with app.run_test(size=size) as pilot:
        await until(pilot, "the snapshot", lambda: len(app.mirror.agents) >= 2)
        async with churn(app) as launched:
            await until(pilot, "a finished task", lambda: any(
                t.state_name == "finished" for t in app.mirror.tasks.values()))
            await until(pilot, "a running task", lambda: any(
                t.state_name == "running" for t in app.mirror.tasks.values()))
            try:
                yield pilot
            finally:
                # The walk pressed the offers view's space (pause): leave the cluster as
                # it was found, allocating, for the next test.
                assert app.control is not None
                await app.control.resume_allocator()
            assert any("queued" in a for a in launched), launched[:3]
        assert app.is_running
        assert app.errors == [], app.errors


@pytest.fixture
def quiet_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the palette's "Screenshot" writes here
    monkeypatch.setenv("MESOS_TUI_CONFIG", str(tmp_path / "keys.toml"))
    monkeypatch.setenv("MESOS_TUI_CLUSTERS", str(tmp_path / "clusters.toml"))


@pytest.mark.timeout(420)  # ~100-250 key presses over a live cluster; slow on a loaded machine
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_view_and_key_at_this_size(
    cluster: LocalCluster, quiet_home: None, size: tuple[int, int],
) -> None:
    """Every view at `size` (coming from another size), every binding of every view, and
    every screen those keys open walked with its own keys at the small sizes, where layouts
    break; a resize with a screen open in each view."""
    others = [s for s in SIZES if s != size]
    async with live_app(cluster, others[0]) as pilot:
        app = pilot.app
        pressed = 0
        await pilot.resize_terminal(*size)
        await pilot.pause()
        for view in VIEWS:
            await pilot.press(str(VIEWS.index(view) + 1))
            await pilot.pause()
            assert app.current_view == view
            if view == "tasks":  # a task selected, so l, enter and ctrl+k do things
                await pilot.press("down")
            small = size[0] <= 80
            pressed += await press_everything(app, pilot, max_depth=1 if small else 0,
                                              moves=small)
            await back_to_base(app, pilot)
            # a resize in the middle of a view, with a screen open, and back
            await pilot.press("question_mark")
            await pilot.resize_terminal(*others[VIEWS.index(view) % len(others)])
            await pilot.pause()
            await pilot.resize_terminal(*size)
            await back_to_base(app, pilot)
        assert pressed > (60 if size[0] <= 80 else 25), pressed


@pytest.mark.timeout(420)
@pytest.mark.parametrize("size", SIZES[:2], ids=[f"{w}x{h}" for w, h in SIZES[:2]])
async def test_every_view_and_key_read_only(
    cluster: LocalCluster, quiet_home: None, size: tuple[int, int],
) -> None:
    """Read-only: the same walk, every view and key and the screens they open; the master
    is never asked to kill or to pause, and the footer says READ-ONLY throughout."""
    async with live_app(cluster, size, readonly=True) as pilot:
        app = pilot.app
        asked: list[str] = []
        control = app.control
        for name in ("kill_task", "pause_allocator", "run_allocation"):
            original = getattr(control, name)

            async def record(*args: Any, _name: str = name, _f: Any = original) -> Any:
                asked.append(_name)
                return await _f(*args)

            setattr(control, name, record)
        for view in VIEWS:
            await pilot.press(str(VIEWS.index(view) + 1))
            await pilot.pause()
            if view == "tasks":
                await pilot.press("down")
            await press_everything(app, pilot, max_depth=1, moves=False)
            await back_to_base(app, pilot)
            assert "READ-ONLY" in " ".join(str(w.render()) for w in app.query("#readonly-badge"))
        for line in (f"kill {next(iter(app.mirror.tasks.values())).id}", "pause", "step",
                     "launch -- true", "start pi 1 10"):
            await run_bar(app, pilot, line)
            await back_to_base(app, pilot)
        assert asked == []
        assert not app.mirror.allocator.paused


@pytest.mark.timeout(300)
async def test_every_palette_entry(cluster: LocalCluster, quiet_home: None) -> None:
    async with live_app(cluster, (120, 40)) as pilot:
        app = pilot.app
        entries = [c.title for c in app.get_system_commands(app.screen)]
        assert len(entries) > 15, entries
        for title in entries:
            if title == "Quit":
                continue
            trace(f"palette {title}")
            await palette(app, pilot, title)
            await back_to_base(app, pilot)
            # The palette's Theme and Keys entries open panels of their own.
            with contextlib.suppress(Exception):
                app.action_hide_help_panel()
            if app.screen.is_modal:
                await pilot.press("escape")
            assert app.is_running, f"the palette's {title!r} stopped the app"


@pytest.mark.timeout(300)
async def test_every_command(cluster: LocalCluster, quiet_home: None) -> None:
    async with live_app(cluster, (80, 24)) as pilot:
        app = pilot.app
        tasks = app.mirror.tasks.values()
        running = next(t for t in tasks if t.state_name == "running")
        finished = next(t for t in tasks if t.state_name == "finished")
        for line in commands(running.id, finished.id):
            trace(f":{line}")
            await run_bar(app, pilot, line)
            await back_to_base(app, pilot)
            assert app.is_running, f":{line} stopped the app"


@pytest.mark.timeout(300)
async def test_the_master_going_away_and_coming_back(cluster: LocalCluster) -> None:
    app = MesosApp(cluster.master, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, "connected", lambda: app.connection is not None
                    and app.connection.phase == CONNECTED and len(app.mirror.agents) >= 2)
        master = cluster.processes[0]
        args = master.args
        master.send_signal(signal.SIGKILL)
        master.wait(10)
        await until(pilot, "the app to notice", lambda: app.connection is not None
                    and app.connection.phase != CONNECTED)
        await until(pilot, "the header to say so", lambda: "leader" not in header_text(app)
                    and "unknown" in header_text(app))
        # While it is away, a person keeps using the app.
        for key in ("1", "2", "3", "4", "5", "question_mark", "escape", "colon", "escape"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.press("4", "space", "n")
        asked = [w for w in app.workers if w.group == "allocator"]
        if asked:
            await app.workers.wait_for_complete(asked)
        assert app.is_running

        logs = os.path.join(cluster.work_dir, "logs", "master-again.log")
        with open(logs, "wb") as out:
            again = subprocess.Popen(args,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                     start_new_session=True)
        cluster.processes[0] = again
        await until(pilot, "reconnected", lambda: app.connection is not None
                    and app.connection.phase == CONNECTED, timeout=60)
        await until(pilot, "the agents back", lambda: len(app.mirror.agents) >= 2, timeout=60)
        assert app.is_running
        await until(pilot, "the header to say it is back", lambda: "leader" in header_text(app))
        assert app.errors == [], app.errors


def header_text(app: MesosApp) -> str:
    return "\n".join(app.query_one("#header").render_line(y).text
                     for y in range(app.query_one("#header").size.height))
