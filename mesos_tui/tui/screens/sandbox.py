"""`b` on a task: its sandbox, browsed through the agent's Files API (the one the logs use),
as the Mesos web UI's sandbox page does.

A table of the directory (name, size, modified); Enter opens a directory, or a file in the
log viewer (search, wrap, follow); backspace or `h` goes up (never above the sandbox); `d`
downloads the file under the cursor to a local path, asked for in a prompt (an existing file
is never overwritten; the bytes go to a temporary file renamed at the end, so a broken
transfer leaves nothing half-written); `r` reads the directory again.
"""

from __future__ import annotations

import os
import posixpath
import stat
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from mesos_tui.client.files import AgentFiles, LogSourceError
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable, natural_key

CHUNK = 1024 * 1024  # the Files API's largest read


class SandboxFiles(Protocol):
    """What the browser asks of an agent's Files API (`AgentFiles` is one)."""

    async def list(self, path: str) -> list[Any]: ...
    async def read(self, path: str, offset: int = 0, length: int = 0) -> Any: ...
    def follow(self, path: str, offset: int = 0) -> AsyncIterator[bytes]: ...
    async def resolve_sandbox(self, agent_id: str, framework_id: str, executor_id: str,
                              task_id: str, file: str) -> str: ...
    async def close(self) -> None: ...


@dataclass(slots=True)
class Entry:
    name: str
    path: str
    is_dir: bool
    size: int
    mtime: float
    mode: int


def _entry(info: Any, directory: str) -> Entry:
    name = str(info.path).rstrip("/").rsplit("/", 1)[-1]
    return Entry(name, posixpath.join(directory, name), bool(info.is_dir), int(info.size),
                 float(info.mtime), int(info.mode))


def size_text(n: int) -> str:
    """Bytes as `812B`, `13K`, `4.2M`, `1.5G`."""
    if n < 1024:
        return f"{n}B"
    for unit in ("K", "M", "G", "T"):
        n /= 1024  # type: ignore[assignment]
        if n < 1024 or unit == "T":
            return f"{n:.1f}{unit}" if n < 10 else f"{n:.0f}{unit}"
    return f"{n}"


def _name(e: Entry) -> Text:
    return Text(e.name + ("/" if e.is_dir else ""), style="bold blue" if e.is_dir else "",
                end="")


COLUMNS = [
    Column("name", "NAME", 0, _name, lambda e: (not e.is_dir, natural_key(e.name)),
           hotkey="N", min_width=12),
    Column("size", "SIZE", 8, lambda e: "-" if e.is_dir else size_text(e.size),
           lambda e: e.size, align_right=True, hotkey="Z"),
    Column("mtime", "MODIFIED", 19,
           lambda e: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.mtime))
           if e.mtime else "-", lambda e: e.mtime, hotkey="M"),
    Column("mode", "MODE", 10, lambda e: stat.filemode(e.mode) if e.mode else "-",
           lambda e: e.mode, style=lambda e: "dim"),
]


class FileSource:
    """One sandbox file as a `LogSource` for the log viewer."""

    def __init__(self, files_for: Callable[[], SandboxFiles], path: str, label: str) -> None:
        self.files_for = files_for
        self.path = path
        self.name = label

    async def follow(self, offset: int = 0) -> AsyncIterator[bytes]:
        files = self.files_for()
        try:
            if offset < 0:  # the tail: from where the file is now, less |offset|
                size = int((await files.read(self.path, 0, 1)).size)
                offset = max(0, size + offset)
            yield b""
            async for data in files.follow(self.path, offset):
                yield data
        finally:
            await files.close()


class SandboxScreen(Resilient, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="sandbox.back"),
        Binding("backspace,h", "up", "Up a directory", id="sandbox.up"),
        Binding("d", "download", "Download", id="sandbox.download"),
        Binding("r", "reload", "Reload", show=False, id="sandbox.reload"),
    ]

    DEFAULT_CSS = """
    SandboxScreen #sandbox-title { height: 1; background: $panel; }
    SandboxScreen #sandbox-save { display: none; height: 3; }
    SandboxScreen #sandbox-save.-visible { display: block; }
    """

    def __init__(self, title: str, files_for: Callable[[], SandboxFiles],
                 locate: Callable[[SandboxFiles], Any],
                 open_file: Callable[[FileSource], None]) -> None:
        """`locate(files)` finds the sandbox directory (a coroutine); `open_file` shows a
        file in the log viewer."""
        super().__init__()
        self.title_text = title
        self.files_for = files_for
        self.locate = locate
        self.open_file = open_file
        self.root = ""
        self.path = ""
        self.entries: dict[str, Entry] = {}
        self.status = "finding the sandbox"
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static(id="sandbox-title")
        yield Input(placeholder="save to (a local path; enter: download, esc: cancel)",
                    id="sandbox-save")
        yield VirtualTable(COLUMNS, lambda: self.entries, sort="name", id="sandbox-table",
                           keep=("name", "size", "mtime", "mode"))
        yield Footer()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#sandbox-table", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.update_title()
        self.load(None)

    def update_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {self.title_text} ", style="bold reverse")
        shown = self.path[len(self.root):] if self.root and self.path.startswith(self.root) else ""
        text.append(f" sandbox:{shown or '/'} ", style="bold cyan")
        text.append(self.error or self.status, style="red" if self.error else "dim")
        self.query_one("#sandbox-title", Static).update(text)

    @work(group="sandbox-list", exclusive=True, exit_on_error=False)
    async def load(self, path: str | None) -> None:
        files = self.files_for()
        try:
            if path is None:
                self.root = path = await self.locate(files)
            infos = await files.list(path)
        except LogSourceError as e:
            self.error = str(e)
            self.update_title()
            return
        finally:
            await files.close()
        self.error = ""
        self.path = path
        self.entries = {e.path: e for e in (_entry(i, path) for i in infos)}
        dirs = sum(1 for e in self.entries.values() if e.is_dir)
        self.status = f"{len(self.entries) - dirs} files, {dirs} directories"
        self.table.cursor = 0
        self.table.rebuild()
        self.update_title()

    def _selected(self) -> Entry | None:
        key = self.table.cursor_key
        return None if key is None else self.entries.get(key)

    @on(VirtualTable.Selected, "#sandbox-table")
    def _open(self, event: VirtualTable.Selected) -> None:
        event.stop()
        entry = self.entries.get(event.key)
        if entry is None:
            return
        if entry.is_dir:
            self.load(entry.path)
        else:
            self.open_file(FileSource(self.files_for, entry.path, entry.name))

    def action_up(self) -> None:
        if not self.path or self.path == self.root:
            self.notify("This is the top of the sandbox.", timeout=3)
            return
        self.load(posixpath.dirname(self.path))

    def action_reload(self) -> None:
        self.load(self.path or None)

    def action_back(self) -> None:
        box = self.query_one("#sandbox-save", Input)
        if box.has_class("-visible"):
            box.remove_class("-visible")
            self.table.focus()
            return
        self.dismiss(None)

    def action_download(self) -> None:
        entry = self._selected()
        if entry is None or entry.is_dir:
            self.notify("Select a file to download (directories are not).",
                        severity="warning", timeout=4)
            return
        box = self.query_one("#sandbox-save", Input)
        box.value = os.path.join(os.getcwd(), entry.name)
        box.add_class("-visible")
        box.focus()

    @on(Input.Submitted, "#sandbox-save")
    def _save(self, event: Input.Submitted) -> None:
        event.stop()
        entry = self._selected()
        box = self.query_one("#sandbox-save", Input)
        box.remove_class("-visible")
        self.table.focus()
        target = os.path.expanduser(event.value.strip())
        if entry is None or not target:
            return
        if os.path.isdir(target):
            target = os.path.join(target, entry.name)
        if os.path.exists(target):
            self.notify(f"{target} exists: not overwritten (give another path).",
                        severity="error", timeout=8, markup=False)
            return
        self.download(entry, target)

    @work(group="sandbox-download", exit_on_error=False)
    async def download(self, entry: Entry, target: str) -> str | None:
        """Copy `entry` to `target`, chunk by chunk; the path on success, else None."""
        directory = os.path.dirname(os.path.abspath(target))
        try:
            fd, temp = tempfile.mkstemp(prefix=".mesos-tui-", dir=directory)
        except OSError as e:
            self.notify(f"cannot write in {directory}: {e.strerror}", severity="error",
                        timeout=8, markup=False)
            return None
        files = self.files_for()
        done = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = await files.read(entry.path, done, CHUNK)
                    if not chunk.data:
                        break
                    out.write(chunk.data)
                    done += len(chunk.data)
                    if done >= int(chunk.size):
                        break
            os.link(temp, target)  # fails if the target appeared meanwhile: never overwrite
        except (LogSourceError, OSError) as e:
            why = str(e) if isinstance(e, LogSourceError) else (e.strerror or str(e))
            self.notify(f"download of {entry.name} failed: {why}", severity="error",
                        timeout=8, markup=False)
            return None
        finally:
            await files.close()
            try:
                os.unlink(temp)
            except OSError:
                pass
        self.notify(f"Saved {entry.name} ({done:,} bytes) to {target}", timeout=6, markup=False)
        return target


class LocalFiles:
    """The Files API's calls over a local directory (a sandbox root): what `mesos-tui` run
    on the agent's machine, and the tests, browse. Paths are relative to `root` and may not
    leave it."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def _real(self, path: str) -> str:
        real = os.path.realpath(os.path.join(self.root, path.lstrip("/")))
        if real != self.root and not real.startswith(self.root + os.sep):
            raise LogSourceError(f"{path}: outside the sandbox root")
        return real

    async def list(self, path: str) -> list[Any]:
        from daemons.proto import agent_pb2

        real = self._real(path)
        try:
            names = sorted(os.listdir(real)) if os.path.isdir(real) else [None]
            out = []
            for name in names:
                full = real if name is None else os.path.join(real, name)
                st = os.stat(full)
                out.append(agent_pb2.FileInfo(
                    path=posixpath.join(path, name) if name else path, size=st.st_size,
                    is_dir=stat.S_ISDIR(st.st_mode), mtime=st.st_mtime, mode=st.st_mode))
            return out
        except OSError as e:
            raise LogSourceError(f"{path}: {e.strerror}") from None

    async def read(self, path: str, offset: int = 0, length: int = 0) -> Any:
        from daemons.proto import agent_pb2

        try:
            with open(self._real(path), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(offset)
                data = f.read(min(length or CHUNK, CHUNK))
        except OSError as e:
            raise LogSourceError(f"{path}: {e.strerror}") from None
        return agent_pb2.ReadFileResponse(data=data, offset=offset, size=size)

    async def follow(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        from mesos_tui.client.files import LocalLogSource

        first = True
        async for data in LocalLogSource(self._real(path)).follow(offset):
            if first:
                first = False
                continue
            yield data

    resolve_sandbox = AgentFiles.resolve_sandbox

    async def close(self) -> None:
        return None
