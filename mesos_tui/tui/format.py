"""Small text helpers shared by the views: htop-style bars, numbers, ages, state colours."""

from __future__ import annotations

import time

from rich.text import Text

from daemons.proto import mesos_pb2

TS = mesos_pb2.TaskState

STATE_STYLES = {
    TS.TASK_STAGING: "yellow",
    TS.TASK_STARTING: "yellow",
    TS.TASK_RUNNING: "green",
    TS.TASK_KILLING: "magenta",
    TS.TASK_FINISHED: "dim",
    TS.TASK_FAILED: "bold red",
    TS.TASK_KILLED: "red",
    TS.TASK_ERROR: "bold red",
    TS.TASK_LOST: "bold red",
    TS.TASK_DROPPED: "red",
    TS.TASK_UNREACHABLE: "bold magenta",
    TS.TASK_GONE: "red",
    TS.TASK_GONE_BY_OPERATOR: "red",
    TS.TASK_UNKNOWN: "magenta",
}

OUTCOME_STYLES = {
    "outstanding": "bold cyan",
    "accepted": "green",
    "declined": "yellow",
    "rescinded": "red",
    "timed out": "magenta",
}

USED, ALLOCATED, OFFERED = "green", "yellow", "cyan"

# The clock ages are measured against (tests and screenshots pin it).
clock = time.time


def num(value: float) -> str:
    """2 -> '2', 0.25 -> '0.25', 1536.0 -> '1536'."""
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def mem(mb: float) -> str:
    """Megabytes in the unit that reads best."""
    if mb >= 1024 * 1024:
        return f"{mb / 1024 / 1024:.1f}T"
    if mb >= 1024:
        return f"{mb / 1024:.1f}G"
    return f"{mb:.0f}M"


def age(since: float, now: float | None = None) -> str:
    if not since:
        return "-"
    seconds = max(0.0, (now or clock()) - since)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h{(seconds % 3600) // 60:02.0f}m"
    return f"{seconds // 86400:.0f}d"


def meter(
    total: float, used: float, allocated: float, offered: float, width: int, label: str,
    has_used: bool = True,
) -> Text:
    """An htop-style bar `[|||||||      label]`: used, allocated beyond use, offered."""
    inner = max(1, width - 2)
    text = Text("[", style="bold", end="")
    if total <= 0:
        text.append(" " * inner)
    else:
        scale = inner / total
        n_used = min(inner, round(used * scale)) if has_used else 0
        n_alloc = min(inner - n_used, max(0, round(allocated * scale) - n_used))
        n_offer = min(inner - n_used - n_alloc, round(offered * scale))
        fill = [("|", USED)] * n_used + [("|", ALLOCATED)] * n_alloc
        fill += [("|", OFFERED)] * n_offer
        chars = fill + [(" ", "")] * (inner - len(fill))
        label = label[:inner]
        start = inner - len(label)
        for i, ch in enumerate(label):
            old_style = chars[start + i][1]
            chars[start + i] = (ch, old_style or "dim")
        for ch, style in chars:
            text.append(ch, style or None)
    text.append("]", style="bold")
    return text


def share_bar(share: float, width: int) -> Text:
    inner = max(1, width)
    n = min(inner, round(share * inner))
    text = Text(end="")
    text.append("█" * n, style="cyan")
    text.append("░" * (inner - n), style="dim")
    return text


class Part:
    """One piece of a line that degrades by priority: drawn `full` while it fits, then
    `short` (if any), then left out (if `droppable`), the lowest `priority` first."""

    __slots__ = ("full", "short", "priority", "droppable")

    def __init__(self, full: Text, short: Text | None = None, priority: int = 0,
                 droppable: bool = True) -> None:
        self.full = full
        self.short = short
        self.priority = priority
        self.droppable = droppable


def fit_parts(parts: list[Part], width: int, sep: str = "  ", sep_style: str = "dim") -> Text:
    """The parts in order on one line of at most `width` cells: shortened and then dropped,
    least important first, until they fit; cut with an ellipsis if even that is too long.
    Never wider than `width`, never wrapped."""
    if width <= 0:
        return Text(no_wrap=True, end="")
    chosen: list[Text | None] = [p.full for p in parts]
    sep_len = Text(sep).cell_len

    def length() -> int:
        shown = [t for t in chosen if t is not None]
        return sum(t.cell_len for t in shown) + sep_len * max(0, len(shown) - 1)

    steps: list[tuple[int, int, str]] = []  # (priority, order, what) – lowest first
    for i, p in enumerate(parts):
        if p.short is not None:
            steps.append((p.priority, -i, "short"))
        if p.droppable:
            steps.append((p.priority, -i, "drop"))
    steps.sort(key=lambda s: (s[0], s[1], s[2] == "drop"))
    for _, neg_i, what in steps:
        if length() <= width:
            break
        i = -neg_i
        if what == "short":
            if chosen[i] is not None:
                chosen[i] = parts[i].short
        else:
            chosen[i] = None
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    first = True
    for t in chosen:
        if t is None:
            continue
        if not first:
            line.append(sep, style=sep_style)
        first = False
        line.append_text(t)
    if line.cell_len > width:
        line.truncate(max(0, width), overflow="ellipsis")
    return line
