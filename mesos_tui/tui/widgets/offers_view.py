"""The offers view: the live offer cycle, for operators and for teaching.

Left: the allocator (running or paused, sorter, cycle), each framework's dominant share in
DRF order, and what the last cycle did and why. Right: outstanding offers with their age,
and a timeline of recent offers and how each ended (accepted with tasks, declined with
refuse_seconds, rescinded with a reason, timed out).

Teaching mode: `space` pauses or resumes the allocator, `n` runs one allocation cycle.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Static

from mesos_tui.client.mirror import Changes, ClusterMirror, OfferRecord, short_id
from mesos_tui.tui import format
from mesos_tui.tui.format import OUTCOME_STYLES, age, mem, num, share_bar
from mesos_tui.tui.widgets.virtual_table import Column, VirtualTable


class OffersView(Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_allocator", "Pause/resume allocator", id="offers.pause"),
        Binding("n", "step", "Run one cycle", id="offers.step"),
    ]

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

    def compose(self) -> ComposeResult:
        m = self.mirror
        fw = m.framework_name
        with Vertical(id="offers-left"):
            yield Static(id="allocator-panel")
            yield Static(id="drf-panel")
            yield Static(id="cycle-panel")
        with Vertical(id="offers-right"):
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
            )

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
        if changes.allocation or changes.allocator or changes.frameworks or changes.offers:
            self.update_panels()

    def tick(self) -> None:
        """Once a second: ages of outstanding offers."""
        table = self.query_one("#offers-table", VirtualTable)
        table.update_rows(list(table.visible_keys()))

    # ----------------------------------------------------------------------- panels

    def update_panels(self) -> None:
        m = self.mirror
        a = m.allocator
        head = Text()
        head.append("Allocator ", style="bold")
        if a.paused:
            head.append(" PAUSED ", style="bold reverse yellow")
            head.append("  teaching mode: press n to run one cycle, space to resume")
        else:
            head.append("running", style="bold green")
            if a.interval:
                head.append(f" every {a.interval:g}s", style="dim")
            head.append("  space pauses, n runs one cycle", style="dim")
        head.append(f"\nsorter {a.sorter or 'drf'} · cycle {a.cycles} · "
                    f"{len(m.offers)} offers outstanding", style="dim")
        self.query_one("#allocator-panel", Static).update(head)

        table = Table(title="Sorter order: who is offered first (DRF: lowest dominant share; "
                      "roles first, then frameworks within a role)",
                      title_justify="left", expand=True, box=None, padding=(0, 1))
        table.add_column("#", justify="right", style="dim")
        table.add_column("FRAMEWORK")
        table.add_column("ROLE", style="dim")
        table.add_column("SHARE", no_wrap=True)
        table.add_column("OF", style="dim")
        table.add_column("OFFERS", justify="right")
        alloc = m.allocation
        if alloc is not None and alloc.frameworks:
            rows = [(r.name or m.framework_name(r.framework_id), r.role, r.share,
                     r.dominant_resource, str(r.offers) if r.offers else "")
                    for r in alloc.frameworks]
        else:
            fws = sorted((f for f in m.frameworks.values() if not f.completed),
                         key=lambda f: f.dominant_share)
            rows = [(f.name, f.role, f.dominant_share, f.dominant_resource, "") for f in fws]
        for i, (name, role, share, res, offers) in enumerate(rows[:30], 1):
            bar = share_bar(share, 12)
            bar.append(f" {share * 100:5.1f}%")
            table.add_row(str(i), name, role, bar, res or "-", offers)
        if not rows:
            table.add_row("", Text("no frameworks registered", style="dim"), "", "", "", "")
        if alloc is not None and alloc.roles:
            roles = Text("Roles: ", style="bold")
            for i, r in enumerate(alloc.roles):
                if i:
                    roles.append(" · ", style="dim")
                roles.append(f"{r.role} ")
                roles.append(f"{r.share * 100:.1f}%", style="cyan")
                if r.weight and r.weight != 1:
                    roles.append(f" (weight {r.weight:g})", style="dim")
            self.query_one("#drf-panel", Static).update(Group(table, roles))
        else:
            self.query_one("#drf-panel", Static).update(table)
        self.query_one("#cycle-panel", Static).update(self._explain_cycle())

    def _explain_cycle(self) -> Text:
        m = self.mirror
        latest = m.allocation
        text = Text()
        if latest is None:
            text.append("No allocation cycle seen yet.", style="dim")
            return text
        alloc = next((a for a in reversed(m.allocations) if a.offer_ids), None)
        if alloc is not latest:
            text.append(f"Last cycle #{latest.cycle}", style="bold")
            text.append(f"  {latest.duration_ms:.2f} ms, {age(latest.at)} ago: ", style="dim")
            text.append("nothing offered (no framework wanted more, or nothing was free: "
                        "all allocated, offered or filtered)\n", style="yellow")
        if alloc is None:
            return text
        text.append(f"{'Last cycle' if alloc is latest else 'Last cycle with offers'} "
                    f"#{alloc.cycle}", style="bold")
        text.append(f"  {alloc.duration_ms:.2f} ms, {age(alloc.at)} ago\n", style="dim")
        by_id = {r.id: r for r in m.timeline}
        order = {r.framework_id: i for i, r in enumerate(alloc.frameworks)}
        for oid in alloc.offer_ids[:12]:
            rec = by_id.get(oid)
            if rec is None:
                text.append(f"  {short_id(oid)} (not seen)\n", style="dim")
                continue
            row = next((r for r in alloc.frameworks if r.framework_id == rec.framework_id), None)
            why = ""
            if row is not None:
                why = (f"share {row.share * 100:.1f}% {row.dominant_resource or ''}, "
                       f"#{order[rec.framework_id] + 1} in DRF order")
            text.append(f"  {m.framework_name(rec.framework_id)}", style="bold")
            text.append(f" got {rec.hostname}: cpus {num(rec.res.cpus)} mem {mem(rec.res.mem)}")
            text.append(f"  ({why})\n" if why else "\n", style="dim")
            text.append("    → ", style="dim")
            text.append(rec.outcome, style=OUTCOME_STYLES.get(rec.outcome, ""))
            if rec.detail:
                text.append(f" {rec.detail}", style="dim")
            text.append("\n")
        if len(alloc.offer_ids) > 12:
            text.append(f"  … and {len(alloc.offer_ids) - 12} more\n", style="dim")
        return text

    # ---------------------------------------------------------------------- actions

    def action_toggle_allocator(self) -> None:
        self.post_message(self.AllocatorRequest("resume" if self.mirror.allocator.paused
                                                else "pause"))

    def action_step(self) -> None:
        self.post_message(self.AllocatorRequest("step"))
