"""`MesosApp`: the Textual app over a live `ClusterMirror`.

Data flow: the operator client (a worker on the app's loop) folds every event into the
mirror as it arrives; a 10 Hz timer takes the mirror's change set and updates the header
and the visible view inside one `batch_update()` (dolphie-style: a refresh never overlaps
the next one, and only changed rows are redrawn). Hidden views just go stale and rebuild
when shown. Nothing here blocks: calls to the master run in workers and come back as
notifications.

Views: 1 agents, 2 frameworks, 3 tasks, 4 offers, 5 events, 6 roles, 7 pulse (or `:agents`
... in the command bar). Every binding has an id; `keys.toml` remaps them (see
`mesos_tui.tui.keymap`).

Every view behaves alike: `/` filters it in the one filter language (with the fields that
fit the view), Enter opens a row's details (a task, an agent, a framework), `t` on an agent,
a framework or a role drills down to the tasks view filtered to it (the filter in the title;
Esc clears it and goes back), and a column's shift+letter sorts by it (again: reverse).

`--readonly` (`readonly=True`): the keys and commands that change the cluster (kill, launch,
start, the allocator's pause/resume/step, the DRF example) are hidden from the footer and the
help and refuse with "read-only" when pressed; the footer says READ-ONLY. `:ctx NAME` switches
to another cluster of `~/.config/mesos-tui/clusters.toml` (`mesos_tui.tui.contexts`).

The `:` bar is the shell: every shell command runs through the shell's registry in a
`ShellSession` that shares this app's mirror and operator client (`mesos_tui.tui.commands`).
Tasks launched from the bar run under the shell's command-queue framework; when the app
exits, the session closes and that framework fails over, so its tasks keep running and the
next shell (or TUI) picks them up. The tasks view's `/` filter is the session's default
filter, in the shell's one filter language.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Label

from daemons.common.auth import Credential
from daemons.common.states import TERMINAL_STATES
from mesos_tui.client import identity
from mesos_tui.client.files import AgentFiles, AgentLogSource, LogSource
from mesos_tui.client.mirror import AgentView, ClusterMirror, TaskView
from mesos_tui.client.operator import CONNECTED, CallResult, ConnectionStatus, Event, OperatorClient
from mesos_tui.client.recording import Recorder
from mesos_tui.client.sources import operator_source
from mesos_tui.shell.errors import CommandError
from mesos_tui.shell.session import ShellSession
from mesos_tui.tui.commands import CommandResult, CommandSuggester, ShellCommands
from mesos_tui.tui.contexts import Context, ContextError, load_contexts
from mesos_tui.tui.filter import exact
from mesos_tui.tui.history import History
from mesos_tui.tui.keymap import KeymapError, keymap_path, load_keymap
from mesos_tui.tui.resilient import Resilient, report
from mesos_tui.tui.screens.confirm import ConfirmScreen
from mesos_tui.tui.screens.details import AgentDetailScreen, DetailScreen, FrameworkDetailScreen
from mesos_tui.tui.screens.help import HelpScreen
from mesos_tui.tui.screens.logs import LogScreen
from mesos_tui.tui.screens.output import OutputScreen
from mesos_tui.tui.screens.sandbox import FileSource, SandboxFiles, SandboxScreen
from mesos_tui.tui.screens.task_detail import TaskDetailScreen
from mesos_tui.tui.widgets.agents_view import AgentsView
from mesos_tui.tui.widgets.cluster_header import ClusterHeader
from mesos_tui.tui.widgets.command_bar import CommandBar
from mesos_tui.tui.widgets.events_view import EventsView
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.frameworks_view import FrameworksView
from mesos_tui.tui.widgets.line_view import LineView
from mesos_tui.tui.widgets.messages import DrillTasks, ShowDetail
from mesos_tui.tui.widgets.offers_view import OffersView
from mesos_tui.tui.widgets.pulse_view import PulseView
from mesos_tui.tui.widgets.roles_view import RolesView, role_filter
from mesos_tui.tui.widgets.tasks_view import TasksView
from mesos_tui.tui.widgets.view_title import ViewTitle
from mesos_tui.tui.widgets.virtual_table import VirtualTable

VIEWS = ("agents", "frameworks", "tasks", "offers", "events", "roles", "pulse")
VIEW_ALIASES = {
    "agents": "agents", "agent": "agents", "a": "agents", "ag": "agents", "nodes": "agents",
    "frameworks": "frameworks", "framework": "frameworks", "fw": "frameworks", "f": "frameworks",
    "tasks": "tasks", "task": "tasks", "t": "tasks",
    "offers": "offers", "offer": "offers", "o": "offers", "drf": "offers",
    "events": "events", "event": "events", "ev": "events", "e": "events",
    "roles": "roles", "role": "roles", "r": "roles",
    "pulse": "pulse", "pu": "pulse", "overview": "pulse",
}
VIEW_TITLES = {
    "agents": "Agents: used | allocated | offered per resource",
    "frameworks": "Frameworks",
    "tasks": "Tasks",
    "offers": "Offers: the offer cycle and DRF",
    "events": "Events: the operator stream",
    "roles": "Roles: weights and DRF shares",
    "pulse": "Pulse: the cluster over time",
}
# What a view lacks when the master does not stream this project's events (Apache Mesos, or
# ours asked without `Mesos-Tui-Extensions`): said in its title rather than left blank.
NOT_STREAMED = {
    "agents": "  (used: - , this master does not stream usage)",
    "frameworks": "  (used: - , this master does not stream usage)",
    "offers": "  (this master does not stream the offer cycle)",
}
APP_WORDS = ("events", "roles", "pulse", "pause", "resume", "step", "logs", "ctx")
# What --readonly refuses: the actions of keys, and the bar's commands, that change the cluster.
WRITE_ACTIONS = {"kill", "toggle_allocator", "step", "drf_example"}
WRITE_COMMANDS = {"kill", "launch", "run", "start", "pause", "resume", "step"}

# Redraws follow events: an event arriving when the screen is idle is drawn at once; under a
# stream of events redraws are coalesced to at most one per REDRAW_GAP (about 30 a second),
# so an event waits at most that long. REFRESH_SECONDS is the fallback sweep (status, ages).
REDRAW_GAP = 0.03
REFRESH_SECONDS = 0.1


class ClusterControl(Protocol):
    """What the app asks of the master (OperatorClient provides it; tests fake it)."""

    async def kill_task(self, task_id: str, framework_id: str | None = None) -> CallResult: ...
    async def pause_allocator(self) -> CallResult: ...
    async def resume_allocator(self) -> CallResult: ...
    async def run_allocation(self) -> CallResult: ...


LogSourceFactory = Callable[[TaskView, AgentView, str], LogSource]
FilesFactory = Callable[[AgentView], SandboxFiles]


def agent_log_source(task: TaskView, agent: AgentView, file: str) -> LogSource:
    return AgentLogSource(agent.files_address, agent.id, task.framework_id, task.executor_id,
                          task.id, file)


def agent_files(agent: AgentView) -> SandboxFiles:
    return AgentFiles(agent.files_address)


def http_agent_log_source(task: TaskView, agent: AgentView, file: str) -> LogSource:
    """A task's log through the agent's `/files/read` (a master watched over HTTP: its agents
    may be Apache Mesos agents, which serve no gRPC)."""
    from mesos_tui.client.files_http import HttpAgentFiles

    return AgentLogSource(agent.files_address, agent.id, task.framework_id, task.executor_id,
                          task.id, file, files=HttpAgentFiles)


def http_agent_files(agent: AgentView) -> SandboxFiles:
    from mesos_tui.client.files_http import HttpAgentFiles

    return HttpAgentFiles(agent.files_address)


class ReadOnlyFooter(Footer):
    """The footer, with READ-ONLY in front of the keys when the app is read-only."""

    def compose(self) -> ComposeResult:
        if getattr(self.app, "readonly", False):
            yield Label(" READ-ONLY ", id="readonly-badge")
        yield from super().compose()


class MesosApp(Resilient, App[None]):
    """The cluster, live."""

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "mesos-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_view('agents')", "Agents", id="view.agents"),
        Binding("2", "show_view('frameworks')", "Frameworks", id="view.frameworks"),
        Binding("3", "show_view('tasks')", "Tasks", id="view.tasks"),
        Binding("4", "show_view('offers')", "Offers", id="view.offers"),
        Binding("5", "show_view('events')", "Events", id="view.events"),
        Binding("6", "show_view('roles')", "Roles", id="view.roles"),
        Binding("7", "show_view('pulse')", "Pulse", id="view.pulse"),
        Binding("colon", "command_bar", "Command", id="app.command"),
        Binding("ctrl+k", "kill", "Kill", id="task.kill"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        master: str | None = None,
        *,
        mirror: ClusterMirror | None = None,
        control: ClusterControl | None = None,
        connect: bool = True,
        keymap: dict[str, str] | None = None,
        log_source: LogSourceFactory = agent_log_source,
        initial_view: str = "agents",
        clock: Callable[[], float] = time.time,
        readonly: bool = False,
        files: FilesFactory = agent_files,
        context: Context | None = None,
        extensions: bool = True,
        record: Recorder | None = None,
        source: Callable[..., Any] | None = None,
    ) -> None:
        """`extensions`: ask an HTTP master for this project's events; `record`: write the
        operator stream to a recording as it comes; `source(on_event, on_status)`: where the
        events come from instead of `master` (a replay)."""
        super().__init__()
        self.readonly = readonly
        self.files = files
        self.context = context
        self.master = context.master if context is not None and master is None else master
        master = self.master
        self.mirror = mirror or ClusterMirror(clock=clock)
        self.history = History()
        self.recorder = record
        self.extensions = extensions
        self.client: OperatorClient | None = None
        self._cli_credential = identity.default()  # --principal/--secret_file, if any
        self._redraw_pending = False
        self._last_redraw = 0.0
        self.mirror.on_applied = self._mirror_changed
        if source is not None:
            self.client = source(self._on_event, self._on_status)
            control = control or self.client
        elif master and connect:
            self.client = self.operator_client(master, context)
            control = control or self.client
        self.control = control
        self.shell_session = ShellSession(
            master or "", mirror=self.mirror, operator=self.client, control=control,
            interactive=True,
        )
        self.connection: ConnectionStatus | None = (
            self.client.status if self.client is not None else None
        )
        self._status_dirty = True
        # The last "no use retrying" reason notified (a refused credential, not a master):
        # said once in full, since the header has room only for its first words.
        self.refusal_notified: str | None = None
        self.key_overrides = keymap
        self.log_source = log_source
        self._sandboxes_by_transport()
        self.initial_view = initial_view
        self.current_view = initial_view
        self.cluster_name = ""
        self.shell = ShellCommands(self.shell_session)
        self._refreshing = False
        self.view_timers: list[Any] = []  # our redraw timers (Textual keeps its own in _timers)
        self.errors: list[tuple[str, BaseException]] = []  # reported, not fatal (resilient.py)
        self.up = False  # the first screen is mounted: from here on no error is fatal
        self.refreshes = 0
        self.after_refresh: Callable[[], None] | None = None  # benchmark hook
        self.clock = clock

    def _sandboxes_by_transport(self) -> None:
        """Logs and sandboxes the way the master is watched: through the agents' gRPC Files
        API (our agents), or their `/files/*` HTTP endpoints when the master is watched over
        HTTP (any Mesos agent serves those). A factory given by the caller stays."""
        http = getattr(self.client, "transport", "grpc") == "http"
        if self.log_source in (agent_log_source, http_agent_log_source):
            self.log_source = http_agent_log_source if http else agent_log_source
        if self.files in (agent_files, http_agent_files):
            self.files = http_agent_files if http else agent_files

    def operator_client(self, master: str, context: Context | None) -> OperatorClient:
        """The client for `master` (gRPC or HTTP: `operator_source`). A context's credentials
        become this process's default (identity.py), so the operator client, the shell's
        framework and the sandbox reader all authenticate as it; a context without them goes
        back to what the command line gave."""
        if context is not None:
            creds = context.credentials()
            identity.set_default(Credential(*creds) if creds else self._cli_credential)
        return operator_source(master, self._on_event, self._on_status,
                               extensions=self.extensions)

    # ------------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        self._header = ClusterHeader(self.mirror, id="header")
        self._views = {
            "agents": AgentsView(self.mirror, id="agents"),
            "frameworks": FrameworksView(self.mirror, id="frameworks"),
            "tasks": TasksView(self.mirror, id="tasks"),
            "offers": OffersView(self.mirror, id="offers"),
            "events": EventsView(self.mirror, id="events"),
            "roles": RolesView(self.mirror, id="roles"),
            "pulse": PulseView(self.mirror, self.history, id="pulse"),
        }
        yield self._header
        yield ViewTitle(id="view-title")
        with ContentSwitcher(initial=self.initial_view, id="views"):
            yield from self._views.values()
        self._bar = CommandBar(CommandSuggester(self.shell, APP_WORDS), id="command-bar")
        yield self._bar
        yield ReadOnlyFooter()

    def on_mount(self) -> None:
        keymap = self.key_overrides
        if keymap is None:
            try:
                keymap = load_keymap()
            except KeymapError as e:
                self.notify(str(e), severity="error", timeout=10, markup=False)
                keymap = {}
            keymap = self.known_keymap(keymap, str(keymap_path()))
        self.key_overrides = keymap
        if keymap:
            self.set_keymap(keymap)
        if self.readonly:
            self.hide_write_bindings()
        self.view_timers = [
            self.set_interval(REFRESH_SECONDS, self.refresh_views),
            self.set_interval(1.0, self.tick),
        ]
        self.mirror.sample_history()
        self.show_view(self.initial_view)
        if self.client is not None:
            self.run_worker(self.client.run(), name="operator-stream", group="operator",
                            exit_on_error=False)
        self.up = True

    def known_keymap(self, keymap: dict[str, str], source: str) -> dict[str, str]:
        """`keymap` without the ids no binding has, each of those said once (a typo in
        keys.toml would otherwise do nothing, silently)."""
        known = {b.id for _, bindings in self.help_sections(everything=True)
                 for b in bindings if b.id}
        unknown = sorted(set(keymap) - known)
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else " (? lists every id)"
            self.notify(f"{source}: no key binding has the id {name!r}{hint}",
                        severity="warning", timeout=10, markup=False)
        return {k: v for k, v in keymap.items() if k in known}

    def on_resize(self, event: Any) -> None:
        """Size classes for app.tcss: `-short` (under 30 rows), `-narrow` (under 100
        columns) and `-tiny` (under 20 rows or 60 columns) let a layout give up what
        matters least."""
        width, height = event.size
        self.set_class(height < 30, "-short")
        self.set_class(width < 100, "-narrow")
        self.set_class(height < 20 or width < 60, "-tiny")

    # ------------------------------------------------------------------ never fatal

    def _handle_exception(self, error: Exception) -> None:
        # Textual exits on any unhandled exception; once we are up, report it instead.
        if self.up and self.is_running:
            report(self, "the app", error)
            return
        super()._handle_exception(error)

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        if self.readonly and action_name in WRITE_ACTIONS:
            self.refuse(action_name.replace("_", " "))
            return True
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:  # noqa: BLE001 - a key must never end the app
            report(self, f"action {action_name}", error)
            return True

    async def on_unmount(self) -> None:
        # No more redraws: the widgets are going away while the session below closes.
        for timer in self.view_timers:
            timer.stop()
        with contextlib.suppress(Exception):  # the DRF example, if one runs, ends with us
            await self.view("offers").example_stopped()
        # The shell's framework fails over (its tasks keep running) before the stream stops.
        with contextlib.suppress(Exception):
            await self.shell_session.close()
        if self.client is not None:
            await self.client.close()
        if self.recorder is not None:
            self.recorder.close("quit")

    def view(self, name: str) -> Any:
        return self._views[name]

    # -------------------------------------------------------------------- read-only

    def refuse(self, what: str) -> None:
        self.notify(f"read-only: {what} is not allowed (mesos-tui --readonly)",
                    severity="warning", timeout=4, markup=False)

    def hide_write_bindings(self) -> None:
        """Take the keys that change the cluster out of the footer (pressing them still
        reaches `_dispatch_action`, which says read-only)."""
        nodes: list[Any] = [self, *self.query("*")]
        for node in nodes:
            bindings = getattr(node, "_bindings", None)
            if bindings is None:
                continue
            for key, items in bindings.key_to_bindings.items():
                bindings.key_to_bindings[key] = [
                    dataclasses.replace(b, show=False) if b.action.split("(")[0]
                    in WRITE_ACTIONS else b for b in items]
        self.refresh_bindings()

    # ---------------------------------------------------------------------- refresh

    def _on_event(self, event: Any) -> None:
        streams = getattr(self.client, "streams_extensions", True)
        if event.type == Event.SUBSCRIBED:
            # What this master streams is known from its snapshot on (see sources.py).
            self.mirror.streams_extensions = streams
        if self.recorder is not None and self.recorder.stopped is None:
            self.recorder.record(event, streams)
            if self.recorder.stopped is not None:
                self.notify(f"Recording to {self.recorder.path} stopped: "
                            f"{self.recorder.stopped}", severity="warning", timeout=10,
                            markup=False)
        self.mirror.apply(event)
        self.shell_session.notify()  # commands waiting on the stream see it

    def _on_status(self, status: ConnectionStatus) -> None:
        previous = self.connection
        self.connection = status
        self._status_dirty = True
        if status.phase == CONNECTED and (previous is None or previous.phase != CONNECTED):
            self.fetch_cluster_name()
            self.refusal_notified = None
        elif status.permanent and status.detail and status.detail != self.refusal_notified:
            self.refusal_notified = status.detail
            self.notify(status.detail, title="Not connected", severity="error", timeout=15,
                        markup=False)

    @work(group="flags", exclusive=True, exit_on_error=False)
    async def fetch_cluster_name(self) -> None:
        if self.client is None:
            return
        result = await self.client.get_flags()
        if result.ok and result.response is not None:
            for flag in result.response.get_flags.flags:
                if flag.name == "cluster" and flag.value:
                    self.cluster_name = flag.value
                    self._status_dirty = True

    def _mirror_changed(self) -> None:
        """An event was applied: redraw now if the last redraw is REDRAW_GAP old, else when it
        will be (one redraw pending at a time, however many events come meanwhile)."""
        if self._redraw_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # applied outside the app's loop (before it runs): the sweep has it
            return
        self._redraw_pending = True
        loop.call_later(max(0.0, self._last_redraw + REDRAW_GAP - loop.time()), self._redraw)

    def _redraw(self) -> None:
        self._redraw_pending = False
        if self.is_running and getattr(self, "_header", None) is not None:
            self.refresh_views()

    def refresh_views(self) -> None:
        """Apply what changed in the mirror to the screen (never overlapping itself)."""
        if self._refreshing or not self._header.is_mounted:
            return
        with contextlib.suppress(RuntimeError):
            self._last_redraw = asyncio.get_running_loop().time()
        self._refreshing = True
        try:
            changes = self.mirror.take_changes()
            if not changes and not self._status_dirty:
                return
            with self.batch_update():
                if changes.reset:
                    self.update_title()
                header = self._header
                header.update_from(self.connection, self.cluster_name)
                self._status_dirty = False
                if changes:
                    for name in VIEWS:
                        view = self.view(name)
                        if name == self.current_view:
                            try:
                                view.apply_changes(changes)
                            except NoMatches:
                                # Its widgets are being (un)mounted (a recompose, or the app
                                # closing): draw it whole next time instead of crashing.
                                view.stale = True
                            except Exception as error:  # noqa: BLE001 - never fatal
                                view.stale = True
                                report(self, f"the {name} view", error)
                        else:
                            view.stale = True
            self.refreshes += 1
            if self.after_refresh is not None:
                self.call_after_refresh(self.after_refresh)
        except Exception as error:  # noqa: BLE001 - a timer callback: never fatal
            report(self, "the redraw", error)
        finally:
            self._refreshing = False

    def tick(self) -> None:
        """Once a second: history points, ages."""
        if not self._header.is_mounted:
            return
        view = self.current_view
        try:
            self.mirror.sample_history()
            self.history.sample(self.mirror, self.clock())
            if view == "agents":
                self.view("agents").update_history()
            elif view == "tasks":
                self.view("tasks").refresh_ages()
            elif view == "offers":
                self.view("offers").tick()
            elif view == "pulse":
                self.view("pulse").rebuild()
        except NoMatches:
            self.view(view).stale = True  # being (un)mounted: drawn whole next time
        except Exception as error:  # noqa: BLE001 - never fatal
            self.view(view).stale = True
            report(self, f"the {view} view", error)
        self._status_dirty = True

    # ------------------------------------------------------------------------ views

    def action_show_view(self, name: str) -> None:
        self.show_view(name)

    def show_view(self, name: str) -> None:
        name = VIEW_ALIASES.get(name, name)
        if name not in VIEWS:
            return
        if not isinstance(self.screen, Screen) or self.screen is not self.screen_stack[0]:
            while len(self.screen_stack) > 1:
                self.pop_screen()
        self.current_view = name
        self.screen_stack[0].query_one("#views", ContentSwitcher).current = name
        view = self.view(name)
        view.stale = True
        try:
            view.apply_changes(self.mirror.peek_changes())
        except Exception as error:  # noqa: BLE001 - the view says so; switching still works
            report(self, f"the {name} view", error)
        self.update_title()
        focus = view if isinstance(view, (LineView, PulseView)) else view.query(
            "VirtualTable, LineView").first(None)
        if focus is not None:
            focus.focus()

    def update_title(self) -> None:
        """The view's title, and the filter in force (a drill-down says where Esc goes)."""
        name = self.current_view
        title = VIEW_TITLES[name]
        view = self.view(name)
        if name == "tasks":
            text = self.tasks_view.filter.text.strip()
            if self.tasks_view.drilled:
                title = f"Tasks of {self.tasks_view.drilled}"
                back = self.tasks_view.back_to
                text = f"{text} · esc: back to {back}" if back else text
        else:
            bar = next(iter(view.query(FilterBar)), None)
            text = bar.filter.text.strip() if bar is not None else ""
        if text:
            title = f"{title} · /{text}"
        if not self.mirror.streams_extensions:
            title += NOT_STREAMED.get(name, "")
        if self.context is not None:
            title = f"[{self.context.name}] {title}"
        with contextlib.suppress(NoMatches):
            self.screen_stack[0].query_one("#view-title", ViewTitle).show(name, title)

    @property
    def tasks_view(self) -> TasksView:
        return self._views["tasks"]  # type: ignore[return-value]

    # ---------------------------------------------------------------------- actions

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections(), str(keymap_path())))

    def help_sections(self, everything: bool = False) -> list[tuple[str, list[Binding]]]:
        """The help's sections; read-only leaves out what it refuses (`everything`: not)."""
        def bindings(cls: type) -> list[Binding]:
            out = []
            for b in getattr(cls, "BINDINGS", []):
                if not everything and self.readonly and b.action.split("(")[0] in WRITE_ACTIONS:
                    continue
                if isinstance(b, Binding):
                    keys = (self.key_overrides or {}).get(b.id or "", b.key)
                    out.append(Binding(keys, b.action, b.description, id=b.id))
            return out

        builtin = [  # Textual's own keys: no id, not remappable
            Binding("ctrl+p", "command_palette", "Command palette: every action"),
            Binding("ctrl+q", "quit", "Quit (ctrl+c only tells you so)"),
        ]
        bar = [
            Binding("enter", "submit", "Run the command"),
            Binding("right", "complete", "Accept the suggestion (completion from the shell)"),
            Binding("escape", "close", "Close the bar"),
        ]
        sort = [Binding("shift+letter", "sort", "Sort by the column whose letter the header "
                        "underlines (again: reverse)")]
        return [
            ("Everywhere", bindings(MesosApp) + builtin),
            (": command bar (views, :ctx NAME, and every shell command; :help lists them)",
             bar),
            ("Tables (agents, frameworks, tasks, offers, roles)", bindings(VirtualTable) + sort),
            ("Agents view (enter: details)", bindings(AgentsView)),
            ("Frameworks view (enter: details)", bindings(FrameworksView)),
            ("Tasks view", bindings(TasksView)),
            ("Offers view (teaching mode)", bindings(OffersView)),
            ("Events view", bindings(EventsView)),
            ("Roles view (enter: its tasks)", bindings(RolesView)),
            ("Pulse view", bindings(PulseView)),
            ("Agent and framework details", bindings(DetailScreen)),
            ("Sandbox", bindings(SandboxScreen)),
            ("Logs", bindings(LogScreen) + bindings(LineView)),
            ("Kill confirmation", bindings(ConfirmScreen)),
            ("Task details", bindings(TaskDetailScreen)),
            ("Command output", bindings(OutputScreen)),
            ("This help", bindings(HelpScreen)),
        ]

    def action_command_bar(self) -> None:
        self._bar.open()

    @on(Input.Submitted, "#command-bar")
    def _command_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        bar = self._bar
        line = event.value.strip()
        bar.close()
        self.show_view(self.current_view)
        if line:
            self.run_command(line)

    def on_key(self, event: Any) -> None:
        bar = self._bar
        if event.key == "escape" and bar.has_class("-visible"):
            event.stop()
            bar.close()
            self.show_view(self.current_view)

    @work(group="command", exit_on_error=False)
    async def run_command(self, line: str) -> CommandResult:
        """A `:` command: a view, one of the app's own, or any of the shell's."""
        line = line.strip().removeprefix(":").strip()
        result = await self._command(line)
        self.show_result(line, result)
        return result

    def show_result(self, line: str, result: CommandResult) -> None:
        """A command's answer: a question (a kill of several tasks), a panel for a table,
        a notification for one line, an error as one red line."""
        if result.quit:
            self.exit()
            return
        if result.confirm is not None:
            self.confirm_command(result)
            return
        text = result.text.rstrip("\n")
        if not text:
            return
        if not result.ok:
            first = text.splitlines()[0]
            self.notify(first, title="Error", severity="error", timeout=10, markup=False)
        elif "\n" in text:
            self.push_screen(OutputScreen(line, text))
        else:
            self.notify(text, timeout=6, markup=False)

    async def _command(self, line: str) -> CommandResult:
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word in VIEW_ALIASES and not rest:
            self.show_view(word)
            return CommandResult(True, "")
        if word in ("q", "quit", "exit") and not rest:
            return CommandResult(quit=True)
        if self.readonly and word in WRITE_COMMANDS:
            return CommandResult(False, f"read-only: {word} is not allowed (mesos-tui "
                                 "--readonly)")
        if word == "ctx":
            return await self.switch_context(rest)
        if word in ("pause", "resume", "step"):
            return await self._allocator(word)
        if word.startswith("/"):
            line = "filter " + line[1:].strip() if line[1:].strip() else "filter --clear"
            word = "filter"
        if word == "logs" and rest and not rest.startswith("-"):
            try:
                task = self.shell_session.find_task(rest.split()[0])
            except CommandError as e:
                return CommandResult(False, f"logs: {e}")
            self.open_logs(task)
            return CommandResult(True, "")
        before = self.shell_session.default_filter
        result = await self.shell.run(line)
        after = self.shell_session.default_filter
        if after is not before:
            # `:filter` sets the session's default filter: the tasks view's filter.
            self.show_view("tasks")
            self.tasks_view.show_filter(after.text if after else "")
            self.update_title()
            return CommandResult(result.ok, "" if result.ok else result.text)
        return result

    def confirm_command(self, result: CommandResult) -> None:
        """A command that wants a yes first (a kill of several tasks): the kill question,
        Cancel focused; Yes runs the command's `confirm.line`."""
        confirm = result.confirm
        assert confirm is not None
        items = confirm.items
        names = ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
        kill = confirm.line.split()[0] == "kill"
        title = f"Kill {confirm.count} tasks?" if kill else confirm.prompt
        body = (f"{names}\n\nTheir frameworks will be told TASK_KILLED.\n"
                "Enter cancels; move to Kill (tab or →) to confirm.")
        if not kill:
            body = f"{names}\n\nEnter cancels; move to Yes (tab or →) to confirm."

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_command(confirm.line)
            else:
                self.notify("Kill cancelled." if kill else "Cancelled.", timeout=3)

        self.push_screen(ConfirmScreen(title, body, "Kill" if kill else "Yes"), answered)

    # kill -----------------------------------------------------------------------------

    def action_kill(self) -> None:
        if self.readonly:
            self.refuse("kill")
            return
        if self.current_view != "tasks":
            self.notify("Select tasks in the tasks view (3) to kill them.", severity="warning")
            return
        tasks = self.tasks_view.selected_tasks()
        if not tasks:
            self.notify("No task selected.", severity="warning")
            return
        live = [t for t in tasks if t.state not in TERMINAL_STATES]
        ended = len(tasks) - len(live)
        if not live:
            what = (f"Task {tasks[0].id} has already ended ({tasks[0].state_name})"
                    if len(tasks) == 1 else f"All {len(tasks)} marked tasks have already ended")
            self.notify(f"{what}: nothing to kill.", severity="warning", markup=False)
            return
        if ended:
            self.notify(f"{ended} of the marked tasks have already ended: only the "
                        f"{len(live)} still live are asked about.", markup=False)
        self.confirm_kill(live)

    def confirm_kill(self, tasks: list[TaskView]) -> None:
        names = ", ".join(t.id for t in tasks[:5]) + (
            f" and {len(tasks) - 5} more" if len(tasks) > 5 else "")
        title = f"Kill {len(tasks)} task{'s' if len(tasks) != 1 else ''}?"
        body = (f"{names}\n\nTheir frameworks will be told TASK_KILLED.\n"
                "Enter cancels; move to Kill (tab or →) to confirm.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.kill_tasks(tasks)
            else:
                self.notify("Kill cancelled.", timeout=3)

        self.push_screen(ConfirmScreen(title, body), answered)

    @work(group="kill", exit_on_error=False)
    async def kill_tasks(self, tasks: list[TaskView]) -> list[CallResult]:
        if self.control is None:
            self.notify("Not connected to a master: nothing was killed.", severity="error")
            return []
        results = []
        for t in tasks:
            results.append(await self.control.kill_task(t.id, t.framework_id))
        failed = [(t, r) for t, r in zip(tasks, results, strict=True) if not r.ok]
        if failed:
            t, r = failed[0]
            self.notify(f"Kill of {t.id} failed: {r.message}"
                        + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""),
                        severity="error", timeout=10)
        else:
            self.notify(f"Asked the master to kill {len(tasks)} task(s).")
        if self.current_view == "tasks":
            self.tasks_view.action_unmark_all()
        return results

    # allocator ------------------------------------------------------------------------

    @on(OffersView.AllocatorRequest)
    def _allocator_request(self, event: OffersView.AllocatorRequest) -> None:
        self.allocator_worker(event.what)

    @work(group="allocator", exit_on_error=False)
    async def allocator_worker(self, what: str) -> CommandResult:
        result = await self._allocator(what)
        self.notify(result.text, severity="information" if result.ok else "error")
        return result

    async def _allocator(self, what: str) -> CommandResult:
        if self.readonly:
            return CommandResult(False, f"read-only: {what} is not allowed (mesos-tui "
                                 "--readonly)")
        if self.control is None:
            return CommandResult(False, "Not connected to a master.")
        if what == "pause":
            r = await self.control.pause_allocator()
            done = "Allocator paused: press n to run one cycle, space to resume."
        elif what == "resume":
            r = await self.control.resume_allocator()
            done = "Allocator resumed."
        else:
            r = await self.control.run_allocation()
            done = "Ran one allocation cycle: see who got what below."
        return CommandResult(r.ok, done if r.ok else f"{what} failed: {r.message}")

    # tasks: filter, details and logs ---------------------------------------------------

    @on(TasksView.FilterChanged)
    def _filter_changed(self, event: TasksView.FilterChanged) -> None:
        """The tasks view's filter is the session's default filter (as `:filter` sets it)."""
        self.shell_session.default_filter = event.filter
        if self.current_view == "tasks":
            self.update_title()

    @on(FilterBar.Applied)
    def _view_filtered(self, event: FilterBar.Applied) -> None:
        self.update_title()

    # details and drill-down -------------------------------------------------------------

    @on(ShowDetail)
    def _show_detail(self, event: ShowDetail) -> None:
        kind, key = event.kind, event.key
        screen: DetailScreen
        if kind == "agent":
            agent = self.mirror.agents.get(key)
            if agent is None:
                return
            screen = AgentDetailScreen(self.mirror, agent, self.history)
        else:
            framework = self.mirror.frameworks.get(key)
            if framework is None:
                return
            screen = FrameworkDetailScreen(self.mirror, framework)

        def then(answer: str | None) -> None:
            if answer == "tasks":
                self.drill_tasks(kind, key)

        self.push_screen(screen, then)

    @on(DrillTasks)
    def _drill(self, event: DrillTasks) -> None:
        self.drill_tasks(event.kind, event.key)

    def drill_tasks(self, kind: str, key: str) -> None:
        """The tasks view, filtered to the tasks of an agent, a framework or a role; Esc
        there goes back to the view this came from."""
        came_from = self.current_view
        if kind == "agent":
            agent = self.mirror.agents.get(key)
            what = f"agent {agent.hostname if agent else key}"
            text = f"agent:{exact(key)}"
        elif kind == "framework":
            fw = self.mirror.frameworks.get(key)
            what = f"framework {fw.name if fw and fw.name else key}"
            text = f"framework:{exact(key)}"
        else:
            what = f"role {key}"
            text = role_filter(key)
        self.show_view("tasks")
        tasks = self.tasks_view
        tasks.show_filter(text)
        tasks.back_to = came_from if came_from != "tasks" else None
        tasks.drilled = what
        self.update_title()

    @on(TasksView.GoBack)
    def _go_back(self, event: TasksView.GoBack) -> None:
        self.show_view(event.view)


    @on(TasksView.ShowTask)
    def _show_task(self, event: TasksView.ShowTask) -> None:
        task = self.mirror.tasks.get(event.key)
        if task is None:
            return
        if event.logs:
            self.open_logs(task)
            return
        if event.sandbox:
            self.open_sandbox(task)
            return

        def then(answer: str | None) -> None:
            if answer == "logs":
                self.open_logs(task)
            elif answer == "sandbox":
                self.open_sandbox(task)

        self.push_screen(TaskDetailScreen(self.mirror, task), then)

    def open_logs(self, task: TaskView) -> None:
        agent = self.mirror.agents.get(task.agent_id)
        if agent is None:
            self.notify(f"Agent {task.agent_id} of task {task.id} is not known: its sandbox "
                        "cannot be read.", severity="error")
            return
        factory = self.log_source
        def task_ended() -> str | None:
            now = self.mirror.tasks.get(task.key) or task
            return now.state_name if now.state in TERMINAL_STATES else None

        self.push_screen(LogScreen(f"{task.id} on {agent.hostname}",
                                   lambda file: factory(task, agent, file),
                                   task_ended=task_ended))

    def open_sandbox(self, task: TaskView) -> None:
        agent = self.mirror.agents.get(task.agent_id)
        if agent is None:
            self.notify(f"Agent {task.agent_id} of task {task.id} is not known: its sandbox "
                        "cannot be read.", severity="error")
            return

        async def locate(files: SandboxFiles) -> str:
            path = await files.resolve_sandbox(agent.id, task.framework_id, task.executor_id,
                                               task.id, "stdout")
            return path.rsplit("/", 1)[0]

        def open_file(source: FileSource) -> None:
            self.push_screen(LogScreen(f"{task.id}: {source.name}", lambda _file: source,
                                       file=source.name, switchable=False))

        self.push_screen(SandboxScreen(f"{task.id} on {agent.hostname}",
                                       lambda: self.files(agent), locate, open_file))

    # contexts ---------------------------------------------------------------------------

    async def switch_context(self, name: str) -> CommandResult:
        """`:ctx` lists the contexts; `:ctx NAME` leaves this cluster for that one: the
        stream, the mirror and the shell session start again on its master."""
        try:
            contexts = load_contexts()
        except ContextError as e:
            return CommandResult(False, f"ctx: {e}")
        if not name:
            if not contexts.contexts:
                return CommandResult(False, f"ctx: no contexts ({contexts.path} has none)")
            now = self.context.name if self.context is not None else ""
            lines = [f"{'*' if n == now else ' '} {n:<16} {c.master}"
                     + (f"  (principal {c.principal})" if c.principal else "")
                     for n, c in sorted(contexts.contexts.items())]
            return CommandResult(True, "\n".join(["  CONTEXT          MASTER", *lines]))
        try:
            context = contexts.get(name.split()[0])
            client = self.operator_client(context.master, context)
        except ContextError as e:
            return CommandResult(False, f"ctx: {e}")
        await self._leave_cluster()
        self.context = context
        self.master = context.master
        self.client = client
        self._sandboxes_by_transport()
        self.control = client
        self.connection = client.status
        self.shell_session = ShellSession(context.master, mirror=self.mirror, operator=client,
                                          control=client, interactive=True)
        self.shell = ShellCommands(self.shell_session)
        self._bar.suggester = CommandSuggester(self.shell, APP_WORDS)
        self.cluster_name = ""
        self._status_dirty = True
        self.run_worker(client.run(), name="operator-stream", group="operator",
                        exit_on_error=False)
        self.show_view(self.current_view)
        return CommandResult(True, f"Switched to {context.name} ({context.master}).")

    async def _leave_cluster(self) -> None:
        """Stop following this cluster: its stream ends, the shell's framework fails over
        (its tasks keep running), the mirror forgets it."""
        self.workers.cancel_group(self, "operator")
        with contextlib.suppress(Exception):
            await self.shell_session.close()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
        self.mirror.reset()
        self.history = History()
        self.view("pulse").history = self.history
        for name in VIEWS:
            self.view(name).stale = True

    # command palette ------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        writes = ("Tasks: kill", "Allocator:", "DRF:")
        for entry in self._system_commands(screen):
            if not (self.readonly and entry.title.startswith(writes)):
                yield entry

    def _system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in VIEWS:
            yield SystemCommand(f"View: {name}", f"Show the {name} view (:{name})",
                                lambda n=name: self.show_view(n))
        yield SystemCommand("Tasks: filter", "Filter tasks by text, regex, !negation, field:",
                            self._palette_filter)
        yield SystemCommand("Tasks: kill selected or marked", "ctrl+k, with a confirmation",
                            self._palette_kill)
        yield SystemCommand("Tasks: logs of the selected task", "l in the tasks view",
                            self._palette_logs)
        yield SystemCommand("Tasks: details of the selected task", "enter in the tasks view",
                            self._palette_details)
        yield SystemCommand("Tasks: browse the selected task's sandbox", "b in the tasks view",
                            self._palette_sandbox)
        yield SystemCommand("Allocator: pause", "Teaching mode: stop periodic allocation",
                            lambda: self.allocator_worker("pause"))
        yield SystemCommand("Allocator: resume", "Resume periodic allocation",
                            lambda: self.allocator_worker("resume"))
        yield SystemCommand("Allocator: run one cycle", "n in the offers view",
                            lambda: self.allocator_worker("step"))
        yield SystemCommand("DRF: the classic example (start/stop)",
                            "d in the offers view: A <1 cpu, 4 GB> and B <3 cpus, 1 GB> tasks "
                            "on an agent of <9 cpus, 18 GB>", self._palette_drf_example)
        yield SystemCommand("Command bar", ": run a view name or shell command",
                            self.action_command_bar)
        yield SystemCommand("Help: every key", "?", self.action_help)

    def _palette_drf_example(self) -> None:
        if self.readonly:
            self.refuse("the DRF example")
            return
        self.show_view("offers")
        self.view("offers").action_drf_example()

    def _palette_filter(self) -> None:
        self.show_view("tasks")
        self.tasks_view.action_filter()

    def _palette_kill(self) -> None:
        self.show_view("tasks")
        self.action_kill()

    def _palette_logs(self) -> None:
        self.show_view("tasks")
        self.tasks_view.action_logs()

    def _palette_details(self) -> None:
        self.show_view("tasks")
        self.tasks_view.action_details()

    def _palette_sandbox(self) -> None:
        self.show_view("tasks")
        self.tasks_view.action_sandbox()


def run_tui(master: str | None, *, readonly: bool = False, context: Context | None = None,
            record: Recorder | None = None, extensions: bool = True) -> int:
    """Open the TUI on `master` (what `mesos-tui` and `mesos-tui up` call); its exit status:
    0 when the user quit, 1 when an error ended it (the traceback is in the log)."""
    app = MesosApp(master, readonly=readonly, context=context, record=record,
                   extensions=extensions)
    app.run()
    return app.return_code or 0
