"""The offers view: the live offer cycle and DRF, for operators and for teaching.

Left, top to bottom:

- the allocator: running or paused (or, with the operator stream down, *unknown*), its sorter
  and cycle count;
- the DRF table, always the allocator's current state as the master streams it
  (SORTER_UPDATED), paused or not: every framework in the order it would be offered
  resources, its share of every resource it holds (offered counts as allocated until
  declined), its dominant resource and share, its weight, and its dominant share over time;
- the last step (`n`): the table as it stood before the cycle, then each agent in the order the
  allocator walked them, who was offered it and why every framework ahead of that one was
  skipped (inactive, suppressed, filtered by a decline until some time), then the table after;
- the classic DRF example (`d`), when it runs: A's and B's tasks and the outcome.

Right: outstanding offers with their age, and a timeline of recent offers and how each ended
(accepted with tasks, declined with refuse_seconds, rescinded with a reason, timed out). `/`
filters both tables (`fw: agent: outcome: role: resources: id:`); Enter on an offer opens the
details of the framework it went to.

Teaching mode: `space` pauses or resumes the allocator, `n` runs one explained cycle, `d`
starts (or stops) the classic DRF example.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from daemons.common.resources import Resources
from mesos_tui.client.mirror import (
    AllocationView,
    Changes,
    ClusterMirror,
    OfferRecord,
    SorterClient,
    SorterView,
    short_id,
)
from mesos_tui.client.operator import CONNECTED
from mesos_tui.frameworks import drf_example
from mesos_tui.tui import format
from mesos_tui.tui.filter import OFFER_FIELDS, view_predicate
from mesos_tui.tui.format import OUTCOME_STYLES, age, mem, num, share_bar
from mesos_tui.tui.resilient import Resilient
from mesos_tui.tui.widgets.filter_bar import FilterBar
from mesos_tui.tui.widgets.messages import ShowDetail
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable

OFFERED_NOTE = "offered counts as allocated until declined"
SPARK = " ▁▂▃▄▅▆▇█"
RESOURCE_ORDER = ("cpus", "mem", "disk", "gpus")
MAX_STEP_AGENTS = 12
NOT_STREAMED = (
    "This master does not stream the offer cycle. Apache Mesos's operator API has no "
    "offer, allocation or usage events (and no allocator pause or step): offers, DRF "
    "shares and steps are shown only for a mesos-tui master, which streams them to a "
    "client that asks (Mesos-Tui-Extensions: 1)."
)  # agents listed in a step's walk (the rest are counted)


def sparkline(values: Iterable[float], width: int, top: float = 1.0) -> Text:
    """Newest on the right, on a fixed 0..`top` scale shared by every row (so rows compare)."""
    points = list(values)[-width:]
    text = Text(" " * (width - len(points)), end="")
    top = top if top > 0 else 1.0
    for v in points:
        i = 0 if v <= 0 else max(1, min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1))))
        text.append(SPARK[i], style="cyan")
    return text


def pct(share: float) -> str:
    return f"{share * 100:.1f}%" if share >= 0.0005 else "-"


def resource_names(views: Iterable[SorterView | None]) -> list[str]:
    """The resources some framework holds: cpus and mem always, disk and gpus only if used."""
    seen = {"cpus", "mem"}
    for v in views:
        if v is None:
            continue
        for row in v.frameworks:
            seen.update(k for k, s in row.shares.items() if s > 0)
    return [n for n in RESOURCE_ORDER if n in seen] + sorted(seen - set(RESOURCE_ORDER))


def drf_table(
    view: SorterView | None,
    width: int,
    *,
    title: str = "",
    history: dict[str, deque[float]] | None = None,
    resources: list[str] | None = None,
    empty: str = "no frameworks registered",
    max_rows: int = 40,
) -> Table:
    """A DRF table that fits `width` columns: the framework's name always, then by priority
    its dominant share, its share of each resource, its weight, its role and its trend."""
    rows = view.frameworks if view is not None else []
    names = resources if resources is not None else resource_names([view])
    width = max(20, width)
    longest = max((len(r.label) + (2 if r.suppressed or not r.active else 0)
                   for r in rows[:max_rows]), default=9)
    name_width = max(9, min(longest if rows else len(empty), 22))
    # What each optional column costs (its width + 1 of padding), added by priority while
    # they fit; the framework's name and its dominant share are always there.
    budget = width - (3 + name_width + 1 + 11)
    show_res = budget >= 7 * len(names)
    if show_res:
        budget -= 7 * len(names)
    show_weight = budget >= 4
    if show_weight:
        budget -= 4
    role_width = max(4, min(12, max((len(r.role) for r in rows[:max_rows]), default=4)))
    trend = 0
    if history is not None and budget >= 9:
        trend = min(24, budget - 1)
        budget -= trend + 1
    show_role = budget >= role_width + 1
    if show_role:
        budget -= role_width + 1
    show_bar = budget >= 10
    top = 0.0
    if trend:
        top = max((max(h, default=0.0) for h in (history or {}).values()), default=0.0)
        top = max(top, 0.01)
    table = Table(title=title or None, title_justify="left", title_style="bold", expand=True,
                  box=None, padding=(0, 1, 0, 0), show_edge=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True, width=2)
    # Room left over goes to the share chart if there is one, else to the names.
    table.add_column("FRAMEWORK", no_wrap=True, overflow="ellipsis", min_width=name_width,
                     ratio=None if trend else 1)
    if show_role:
        table.add_column("ROLE", no_wrap=True, overflow="ellipsis", width=role_width,
                         style="dim")
    if show_res:
        for n in names:
            table.add_column(n.upper(), justify="right", no_wrap=True, width=6)
    table.add_column("DOMINANT", no_wrap=True, min_width=10)
    if show_weight:
        table.add_column("W", justify="right", no_wrap=True, width=3, style="dim")
    if trend:
        label = f"OVER TIME (0-{top * 100:.0f}%)"
        if trend >= 36:
            label = f"DOMINANT SHARE OVER TIME (0-{top * 100:.0f}%)"
        table.add_column(label[:trend], no_wrap=True, overflow="crop", min_width=trend,
                         ratio=1, justify="right")
    for i, row in enumerate(rows[:max_rows], 1):
        name = Text(row.label, style="" if row.active and not row.suppressed else "dim")
        if row.suppressed:
            name.append(" ⊘", style="yellow")
        if not row.active:
            name.append(" ✕", style="red")
        cells: list[RenderableType] = [str(i), name]
        if show_role:
            cells.append(row.role)
        if show_res:
            for n in names:
                s = row.shares.get(n, 0.0)
                bold = n == row.dominant_resource and s > 0
                cells.append(Text(pct(s), style="bold cyan" if bold else ""))
        dom = Text(end="")
        if show_bar:
            dom.append_text(share_bar(row.dominant_share, 8))
            dom.append(" ")
        if row.dominant_resource:
            dom.append(f"{pct(row.dominant_share)} {row.dominant_resource}", style="cyan")
        else:
            dom.append("0 (holds nothing)", style="dim")
        cells.append(dom)
        if show_weight:
            cells.append(f"{row.weight:g}")
        if trend:
            # As wide as the column will be: the chart gets the width that is left over.
            cells.append(sparkline((history or {}).get(row.framework_id, ()),
                                   trend + max(0, budget - 4), top))
        table.add_row(*cells)
    if not rows:
        table.add_row("", Text(empty, style="dim"), *([""] * (len(table.columns) - 2)))
    elif len(rows) > max_rows:
        table.add_row("", Text(f"… {len(rows) - max_rows} more", style="dim"),
                      *([""] * (len(table.columns) - 2)))
    return table


def legend(views: Iterable[SorterView | None]) -> Text | None:
    rows = [r for v in views if v is not None for r in v.frameworks]
    parts = []
    if any(r.suppressed for r in rows):
        parts.append(("⊘", "yellow", " suppressed (asks for no offers)"))
    if any(not r.active for r in rows):
        parts.append(("✕", "red", " inactive (disconnected: holds, gets no offers)"))
    if not parts:
        return None
    text = Text(style="dim")
    for i, (mark, style, what) in enumerate(parts):
        if i:
            text.append("  ")
        text.append(mark, style=style)
        text.append(what)
    return text


class OffersView(Resilient, Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_allocator", "Pause/resume allocator", id="offers.pause"),
        Binding("n", "step", "Run one cycle", id="offers.step"),
        Binding("d", "drf_example", "DRF example", id="offers.drf_example"),
        Binding("slash", "filter", "Filter", id="offers.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="offers.clear_filter"),
    ]

    DEFAULT_CSS = """
    OffersView #offers-left { overflow-x: hidden; }
    OffersView #sorter-panel, OffersView #step-panel, OffersView #example-panel {
        height: auto; margin-bottom: 1;
    }
    OffersView #example-panel.-empty { display: none; }
    """

    class AllocatorRequest(Message):
        """The user asked to pause, resume or step the allocator."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what  # "pause" | "resume" | "step"

    def __init__(self, mirror: ClusterMirror, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mirror = mirror
        self.stale = True
        self._timeline: dict[str, OfferRecord] = {}
        # Set by whoever owns the connection (tests, or an app without `connection`): None
        # means "ask the app".
        self.connected: bool | None = None
        self.shown_connected: bool | None = None
        self.example_process: asyncio.subprocess.Process | None = None
        self.example_lines: deque[str] = deque(maxlen=4)
        self.example_started = 0.0
        self.shown_step: AllocationView | None = None

    def compose(self) -> ComposeResult:
        m = self.mirror
        fw = m.framework_name
        with VerticalScroll(id="offers-left"):
            yield Static(id="allocator-panel")
            yield Static(id="sorter-panel")
            yield Static(id="step-panel")
            yield Static(id="example-panel", classes="-empty")
        with Vertical(id="offers-right"):
            yield FilterBar(OFFER_FIELDS, id="offers-filter")
            yield Label("Outstanding offers", classes="section-title")
            yield VirtualTable(
                [
                    Column("id", "OFFER", 8, lambda o: short_id(o.id), lambda o: o.sent),
                    Column("framework", "FRAMEWORK", 14, lambda o: fw(o.framework_id),
                           lambda o: fw(o.framework_id)),
                    Column("agent", "AGENT", 14, lambda o: o.hostname, lambda o: o.hostname),
                    Column("age", "AGE", 6, lambda o: age(o.sent), lambda o: -o.sent,
                           align_right=True),
                    Column("resources", "RESOURCES", 0, lambda o: o.resources_text,
                           lambda o: o.res.cpus, style=lambda o: "cyan"),
                ],
                lambda: self.mirror.offers, sort="id", id="offers-table",
                keep=("framework", "agent", "resources", "age"),
            )
            yield Label("Timeline: each offer's path", classes="section-title")
            yield VirtualTable(
                [
                    Column("sent", "SENT", 8,
                           lambda o: time.strftime("%H:%M:%S", time.localtime(o.sent)),
                           lambda o: o.sent),
                    Column("id", "OFFER", 8, lambda o: short_id(o.id), lambda o: o.sent),
                    Column("framework", "FRAMEWORK", 14, lambda o: fw(o.framework_id),
                           lambda o: fw(o.framework_id)),
                    Column("agent", "AGENT", 12, lambda o: o.hostname, lambda o: o.hostname),
                    Column("outcome", "→ OUTCOME", 11, lambda o: o.outcome, lambda o: o.outcome,
                           style=lambda o: OUTCOME_STYLES.get(o.outcome, "")),
                    Column("held", "HELD", 6,
                           lambda o: age(o.sent, o.ended) if o.ended else age(o.sent),
                           lambda o: (o.ended or format.clock()) - o.sent, align_right=True),
                    Column("detail", "DETAIL", 0, lambda o: o.detail, lambda o: o.detail,
                           style=lambda o: "dim"),
                ],
                lambda: self._timeline, sort="sent", reverse=True, id="timeline-table",
                keep=("framework", "outcome", "agent", "sent", "detail", "held"),
            )

    def offer_values(self, o: OfferRecord) -> dict[str, Any]:
        """An offer's fields for the `/` filter (both tables)."""
        fw = self.mirror.frameworks.get(o.framework_id)
        return {"id": o.id, "fw": [o.framework_id, fw.name if fw else ""],
                "agent": [o.agent_id, o.hostname], "outcome": o.outcome,
                "role": fw.role if fw else "", "resources": o.resources_text}

    def action_filter(self) -> None:
        self.query_one("#offers-filter", FilterBar).open()

    def action_clear_filter(self) -> None:
        self.query_one("#offers-filter", FilterBar).clear_filter()
        self.query_one("#offers-table", VirtualTable).focus()

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        """Enter on an offer: the details of the framework it went to (its offers, its
        tasks, its share over time)."""
        event.stop()
        rec = self.mirror.offers.get(event.key) or self._timeline.get(event.key)
        if rec is not None and rec.framework_id in self.mirror.frameworks:
            self.post_message(ShowDetail("framework", rec.framework_id))

    @on(FilterBar.Applied, "#offers-filter")
    def _filtered(self, event: FilterBar.Applied) -> None:
        keep = view_predicate(event.filter, self.offer_values)
        for table in self.query(VirtualTable):
            table.set_filter(keep)

    def _sync_timeline(self) -> tuple[set[str], set[str]]:
        fresh = {rec.id: rec for rec in self.mirror.timeline}
        removed = set(self._timeline) - set(fresh)
        changed = {k for k, r in fresh.items() if self._timeline.get(k) is not r} | {
            k for k, r in fresh.items() if r.outcome == "outstanding" or r.ended
        }
        self._timeline = fresh
        return changed, removed

    def rebuild(self) -> None:
        self._sync_timeline()
        self.query_one("#offers-table", VirtualTable).rebuild()
        self.query_one("#timeline-table", VirtualTable).rebuild()
        self.update_panels()
        self.stale = False

    def apply_changes(self, changes: Changes) -> None:
        if self.stale or changes.reset:
            self.rebuild()
            return
        if changes.offers:
            self.query_one("#offers-table", VirtualTable).rebuild()
            changed, removed = self._sync_timeline()
            self.query_one("#timeline-table", VirtualTable).update_rows(changed, removed)
        if (changes.allocation or changes.allocator or changes.sorter or changes.frameworks
                or changes.offers or changes.agents):
            self.update_panels()

    def tick(self) -> None:
        """Once a second: ages of outstanding offers, the connection, the share chart."""
        table = self.query_one("#offers-table", VirtualTable)
        table.update_rows(list(table.visible_keys()))
        self.update_panels()

    def on_mount(self) -> None:
        # The DRF side is what this view teaches: half the width (the offer tables the rest).
        self.query_one("#offers-left").styles.width = "1fr"
        self.query_one("#offers-right").styles.width = "1fr"

    def on_resize(self) -> None:
        if self.is_mounted and not self.stale:
            self.update_panels()

    # ----------------------------------------------------------------------- panels

    def is_connected(self) -> tuple[bool, str]:
        """Whether the operator stream is up (so what is shown is the master's state now)."""
        if self.connected is not None:
            return self.connected, "" if self.connected else "not connected"
        status = getattr(self.app, "connection", None)
        if status is None:  # nobody follows a master for this app: the mirror is all there is
            return True, ""
        if status.phase == CONNECTED:
            return True, ""
        return False, status.text

    def _panel_width(self) -> int:
        left = self.query_one("#offers-left")
        width = left.scrollable_content_region.width
        if width <= 0:
            width = max(20, self.app.size.width * 2 // 5 - 3)
        return width

    def update_panels(self) -> None:
        m = self.mirror
        connected, why = self.is_connected()
        self.shown_connected = connected
        width = self._panel_width()
        self.query_one("#allocator-panel", Static).update(self._allocator_text(connected, why))

        sorter = m.sorter
        parts: list[RenderableType] = []
        if not m.streams_extensions:
            pass  # the allocator panel says why there is nothing here
        elif sorter is None:
            parts.append(Text("DRF order: the master has not sent its allocator's table "
                              "(an older master, or not connected yet).", style="dim"))
        else:
            title = Text("DRF order now", style="bold")
            title.append(" (who is offered first: lowest dominant share)", style="dim")
            parts.append(title)
            if not connected:
                parts.append(Text(f"as last known, at {_clock(sorter.at)}: may be stale",
                                  style="bold yellow"))
            parts.append(drf_table(sorter, width, history=m.share_history))
            note = Text(OFFERED_NOTE.capitalize(), style="dim italic")
            if sorter.roles and (len(sorter.roles) > 1 or sorter.roles[0].role != "*"):
                note.append("\nRoles: ", style="bold")
                for i, r in enumerate(sorter.roles):
                    if i:
                        note.append(" · ", style="dim")
                    note.append(f"{r.role} ")
                    note.append(f"{pct(r.dominant_share)} {r.dominant_resource}".strip(),
                                style="cyan")
                    if r.weight != 1:
                        note.append(f" (weight {r.weight:g})", style="dim")
            parts.append(note)
            mark = legend([sorter])
            if mark is not None:
                parts.append(mark)
        self.query_one("#sorter-panel", Static).update(Group(*parts))
        step_panel = self.query_one("#step-panel", Static)
        step_panel.update(self._step_text(width))
        if m.last_step is not None and m.last_step is not self.shown_step:
            # A new step: bring its explanation into view (the left side scrolls).
            self.shown_step = m.last_step
            self.call_after_refresh(step_panel.scroll_visible, top=True, animate=False)
        self._update_example(width)

    def _allocator_text(self, connected: bool, why: str) -> Text:
        m = self.mirror
        a = m.allocator
        head = Text()
        head.append("Allocator ", style="bold")
        if not m.streams_extensions:
            head.append(" NOT STREAMED ", style="bold reverse yellow")
            head.append(f"\n{NOT_STREAMED}", style="yellow")
            return head
        if not connected:
            head.append(" UNKNOWN ", style="bold reverse red")
            head.append(f"  {why or 'not connected'}: the allocator's state is not known",
                        style="red")
            return head
        if a.paused:
            head.append(" PAUSED ", style="bold reverse yellow")
            head.append("  n runs one cycle, space resumes")
        else:
            head.append("running", style="bold green")
            if a.interval:
                head.append(f" every {a.interval:g}s", style="dim")
            head.append("  space pauses, n steps, d: DRF example", style="dim")
        head.append(f"\nsorter {a.sorter or 'drf'} · cycle {a.cycles} · "
                    f"{len(m.offers)} offers outstanding", style="dim")
        return head

    def _step_text(self, width: int) -> RenderableType:
        m = self.mirror
        step = m.last_step
        latest = m.allocation
        parts: list[RenderableType] = []
        if latest is not None and latest is not step:
            parts.append(self._cycle_line(latest))
        if not m.streams_extensions:
            return Group(*parts)
        if step is None:
            parts.append(Text("Press n to run one allocation cycle, explained: the DRF table "
                              "before it, who got each agent and why the others were skipped, "
                              "and the table after it.", style="dim"))
            return Group(*parts)
        head = Text(f"Step: cycle #{step.cycle}", style="bold")
        head.append(f"  at {_clock(step.at)}, {len(step.offer_ids)} offers  ", style="dim")
        head.append(OFFERED_NOTE, style="italic")
        parts.append(head)
        names = resource_names([step.before, step.after])
        parts.append(drf_table(step.before, width, title="Before the cycle",
                               resources=names, empty="no frameworks"))
        parts.append(self._walk_text(step))
        parts.append(drf_table(step.after, width, title="After the cycle",
                               resources=names, empty="no frameworks"))
        mark = legend([step.before])
        if mark is not None:
            parts.append(mark)
        return Group(*parts)

    def _cycle_line(self, alloc: AllocationView) -> Text:
        m = self.mirror
        text = Text(f"Latest cycle #{alloc.cycle}", style="bold")
        text.append(f" ({age(alloc.at)} ago, {alloc.duration_ms:.2f} ms): ", style="dim")
        got = [(self.mirror.offers.get(o) or _find(m.timeline, o)) for o in alloc.offer_ids]
        got = [r for r in got if r is not None]
        if not alloc.offer_ids:
            text.append("nothing offered (nothing free, or every framework ahead was "
                        "filtered, suppressed or inactive)", style="yellow")
        else:
            text.append(f"{len(alloc.offer_ids)} offers: ")
            for i, rec in enumerate(got[:6]):
                if i:
                    text.append(", ", style="dim")
                text.append(m.framework_name(rec.framework_id), style="bold")
                text.append(f" ← {rec.hostname}")
                text.append(f" ({rec.outcome})", style=OUTCOME_STYLES.get(rec.outcome, "dim"))
            if len(got) > 6:
                text.append(f", … {len(got) - 6} more", style="dim")
        return text

    def _walk_text(self, step: AllocationView) -> Text:
        m = self.mirror
        text = Text("Agents, in the order the allocator walked them:\n", style="bold")
        walked = [d for d in step.decisions if not d.reason]
        not_walked = [d for d in step.decisions if d.reason]
        if not walked:
            text.append("  none could be offered", style="yellow")
            text.append(" (see below)\n" if not_walked else "\n", style="dim")
        for n, d in enumerate(walked[:MAX_STEP_AGENTS], 1):
            text.append(f" {n}. ", style="dim")
            text.append(d.hostname or short_id(d.agent_id), style="bold")
            text.append(f" free cpus {num(d.free.cpus)} mem {mem(d.free.mem)}", style="dim")
            if d.framework_id:
                text.append(" → offered to ")
                text.append(d.name or m.framework_name(d.framework_id), style="bold green")
                rec = m.offers.get(d.offer_id) or _find(m.timeline, d.offer_id)
                if rec is not None and rec.outcome != "outstanding":
                    text.append(f" ({rec.outcome}"
                                f"{': ' + rec.detail if rec.detail else ''})",
                                style=OUTCOME_STYLES.get(rec.outcome, "dim"))
                text.append("\n")
            else:
                text.append(" → nobody\n", style="yellow")
            for k in d.skipped:
                text.append("      skipped ", style="dim")
                text.append(k.name or m.framework_name(k.framework_id))
                text.append(": ", style="dim")
                refused = ""
                if k.refused is not None:  # the scalars: ports and the like add nothing here
                    refused = f"cpus {num(k.refused.cpus)} mem {mem(k.refused.mem)}"
                text.append(_skip_reason(k.reason, refused, k.until), style="yellow")
                text.append("\n")
            if d.skipped_omitted:
                text.append(f"      … and {d.skipped_omitted} more skipped\n", style="dim")
            if d.framework_id and not d.skipped:
                text.append("      first in DRF order: nobody ahead of it\n", style="dim")
        if len(walked) > MAX_STEP_AGENTS:
            text.append(f"  … and {len(walked) - MAX_STEP_AGENTS} more agents\n", style="dim")
        if not_walked:
            by_reason: dict[str, list[str]] = {}
            for d in not_walked:
                by_reason.setdefault(d.reason, []).append(d.hostname or short_id(d.agent_id))
            for reason, hosts in by_reason.items():
                text.append("  not walked, ", style="dim")
                text.append(_agent_reason(reason), style="yellow")
                shown = ", ".join(hosts[:6]) + (f", … {len(hosts) - 6} more"
                                               if len(hosts) > 6 else "")
                text.append(f": {shown}\n", style="dim")
        if step.decisions_omitted:
            text.append(f"  … {step.decisions_omitted} more agents not listed\n", style="dim")
        text.rstrip()
        return text

    # ------------------------------------------------------------------ DRF example

    def example_running(self) -> bool:
        p = self.example_process
        return p is not None and p.returncode is None

    def _update_example(self, width: int) -> None:
        panel = self.query_one("#example-panel", Static)
        text = self.example_text()
        panel.set_class(text is None, "-empty")
        if text is not None:
            panel.update(text)

    def example_text(self) -> Text | None:
        """The classic DRF example as the master sees it: A's and B's tasks on the example's
        agent, and once neither fits any more, the outcome."""
        m = self.mirror
        fws = {f.name: f for f in m.frameworks.values()
               if f.name in drf_example.EXPECTED and not f.completed}
        agent = next((a for a in m.agents.values()
                      if a.hostname == drf_example.AGENT_HOSTNAME), None)
        if not self.example_running() and not fws and agent is None and not self.example_lines:
            return None
        text = Text("Classic DRF example", style="bold")
        text.append(" (d stops it)" if self.example_running() else " (d starts it)", style="dim")
        text.append("\nIts own agent drf-example <9 cpus, 18 GB>; A's tasks <1 cpu, 4 GB>, "
                    "B's <3 cpus, 1 GB>; each launches one task per offer and gives the rest "
                    "back. Other agents are declined. Shares above are of the whole cluster.\n",
                    style="dim")
        if agent is None:
            text.append("waiting for the example's agent to register…\n", style="yellow")
        a_res = Resources.parse(drf_example.A_TASK)
        b_res = Resources.parse(drf_example.B_TASK)
        counts = {}
        for name, letter in ((drf_example.A_NAME, "A"), (drf_example.B_NAME, "B")):
            fw = fws.get(name)
            n = fw.tasks if fw is not None else 0
            counts[letter] = n
            res = a_res if letter == "A" else b_res
            cpus, mem_mb = n * res.cpus, n * res.mem
            text.append(f"  {letter}: ", style="bold")
            text.append(f"{n} task{'s' if n != 1 else ''}", style="bold cyan")
            text.append(f"  {num(cpus)} cpus, {mem(mem_mb)}")
            if agent is not None and agent.total.cpus and agent.total.mem:
                cs, ms = cpus / agent.total.cpus, mem_mb / agent.total.mem
                dom, which = (ms, "mem") if ms >= cs else (cs, "cpus")
                text.append(f"  = {pct(dom)} of the agent's {which}", style="dim")
            if fw is None:
                text.append("  (not subscribed)", style="dim")
            text.append("\n")
        if agent is not None:
            free_cpus = agent.total.cpus - agent.allocated.cpus
            free_mem = agent.total.mem - agent.allocated.mem
            fits_a = free_cpus >= a_res.cpus - 1e-9 and free_mem >= a_res.mem - 1e-9
            fits_b = free_cpus >= b_res.cpus - 1e-9 and free_mem >= b_res.mem - 1e-9
            if agent.allocated.cpus and not fits_a and not fits_b:
                text.append("  Outcome: ", style="bold")
                text.append(f"A {counts['A']} tasks, B {counts['B']} tasks", style="bold green")
                text.append(f"; the agent is full (cpus {num(free_cpus)}, {mem(free_mem)} "
                            "free: neither task fits). ")
                if (counts["A"], counts["B"]) == (3, 2):
                    text.append("As in the paper: DRF equalised the dominant shares, "
                                "A 2/3 of the memory, B 2/3 of the cpus.", style="green")
                else:
                    text.append("The paper says 3 and 2: another framework used part of the "
                                "agent, or the cluster's cpus:mem ratio broke a tie.",
                                style="yellow")
                text.append("\n")
        for line in self.example_lines:
            text.append(f"  › {line}\n", style="dim")
        text.rstrip()
        return text

    def action_drf_example(self) -> None:
        if self.example_running():
            self.stop_example()
            self.app.notify("Stopping the DRF example: A and B are torn down, its agent stops.")
            return
        read_only = getattr(self.app, "read_only", None)
        if read_only:
            self.app.notify(f"The DRF example runs on a cluster: {read_only}.",
                            severity="warning", markup=False)
            return
        master = getattr(self.app, "master", None)
        if not master:
            self.app.notify("The DRF example needs a master: start the TUI with --master "
                            "(or `mesos-tui up --demo`).", severity="error")
            return
        self.example_lines.clear()
        self.run_worker(self._run_example(master), group="drf-example", exclusive=True,
                        exit_on_error=False)
        self.app.notify("Starting the classic DRF example: frameworks A and B and an agent of "
                        "<9 cpus, 18 GB> of its own.")

    async def _run_example(self, master: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = drf_example.SOURCE_ROOT + (
            os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mesos_tui.frameworks.drf_example", "--master", master,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, start_new_session=True,
        )
        self.example_process = proc
        self.example_started = time.time()
        self.update_panels()
        try:
            assert proc.stdout is not None
            while line := await proc.stdout.readline():
                self.example_lines.append(line.decode("utf-8", "replace").rstrip())
                self.update_panels()
            await proc.wait()
        finally:
            if proc.returncode is None:
                _signal_group(proc, signal.SIGTERM)
            self.update_panels()

    def stop_example(self) -> None:
        proc = self.example_process
        if proc is not None and proc.returncode is None:
            _signal_group(proc, signal.SIGTERM)

    def on_unmount(self) -> None:
        # The example tears its frameworks and agent down by itself on SIGTERM.
        self.stop_example()

    async def example_stopped(self, timeout: float = 10.0) -> None:
        """Stop the example and wait (bounded) until its process has exited, so that it
        and its agent are gone when the app is (SIGKILL after `timeout`)."""
        proc = self.example_process
        if proc is None or proc.returncode is not None:
            return
        self.stop_example()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            _signal_group(proc, signal.SIGKILL)
            await proc.wait()

    # ---------------------------------------------------------------------- actions

    def action_toggle_allocator(self) -> None:
        self.post_message(self.AllocatorRequest("resume" if self.mirror.allocator.paused
                                                else "pause"))

    def action_step(self) -> None:
        self.post_message(self.AllocatorRequest("step"))


def _signal_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _find(records: Iterable[OfferRecord], offer_id: str) -> OfferRecord | None:
    if not offer_id:
        return None
    for rec in records:
        if rec.id == offer_id:
            return rec
    return None


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _skip_reason(reason: str, refused: str, until: float) -> str:
    if reason == "filtered":
        left = until - format.clock()
        when = f"until {_clock(until)}" + (f" ({left:.1f}s more)" if 0 < left < 3600 else "")
        return f"filtered: it declined {refused or 'this'} here, {when}"
    if reason == "suppressed":
        return "suppressed: it asked for no offers"
    if reason == "inactive":
        return "inactive: disconnected, gets no offers"
    return reason


def _agent_reason(reason: str) -> str:
    if reason == "below min allocatable":
        return "less free than --min_allocatable_resources"
    return reason


__all__ = ["OffersView", "SorterClient", "drf_table", "sparkline"]
