"""A task's log, read in the background and drawn on the line API.

`LogView` takes a `LogSource` (mesos_tui.client.files) and runs one worker that iterates
its bytes, splits them into lines and appends them to a pending list. A 10 Hz timer moves
pending lines into the view in one go, so a task writing 10 MB/s costs one redraw per tick,
not one per chunk, and the UI never waits on the reader.

Timestamps (`set_timestamps`): Mesos's stdout and stderr carry none, so a line's time is when
this view received it; lines that were already in the file when it opened (the backlog read
at once) show `········` rather than a time they were not written at.
"""

from __future__ import annotations

import asyncio
import codecs
import time

from textual import work
from textual.message import Message

from mesos_tui.client.files import LogSource, LogSourceError
from mesos_tui.tui.widgets.line_view import LineView


class LogView(LineView):
    """Follows one LogSource."""

    class StatusChanged(Message):
        def __init__(self, view: LogView, text: str) -> None:
            super().__init__()
            self.view = view
            self.text = text

    def __init__(self, source: LogSource | None = None, tail_bytes: int = 4 * 1024 * 1024,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.tail_bytes = tail_bytes
        self.bytes_read = 0
        self.status = "starting"
        self._pending: list[str] = []
        self._partial = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.reading = False
        self.last_data_at = time.monotonic()  # when the reader last brought bytes
        self.timestamps = False
        self.stamps: list[float] = []  # per line: when it arrived (0: the backlog)
        self._pending_stamps: list[float] = []
        self._backlog = True
        self._count_key: tuple[object, ...] | None = None
        self._count = (0, 0)

    def on_mount(self) -> None:
        self.set_interval(0.1, self.flush)
        if self.source is not None:
            self.start(self.source)

    def start(self, source: LogSource) -> None:
        self.source = source
        self.clear()
        self._pending.clear()
        self._pending_stamps.clear()
        self.stamps.clear()
        self._backlog = True
        self._count_key: tuple[object, ...] | None = None
        self._count = (0, 0)
        self._partial = ""
        self.bytes_read = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.follow = True
        self._read(source)

    def _set_status(self, text: str) -> None:
        self.status = text
        self.post_message(self.StatusChanged(self, text))

    @work(exclusive=True, group="log-reader")
    async def _read(self, source: LogSource) -> None:
        self.reading = True
        self._set_status(f"reading {source.name}")
        opened = time.monotonic()
        try:
            async for chunk in source.follow(-self.tail_bytes if self.tail_bytes else 0):
                if chunk:
                    now = time.monotonic()
                    # The backlog is what comes at once on opening; a pause ends it.
                    if self._backlog and (now - self.last_data_at > 0.2 or now - opened > 1):
                        self._backlog = False
                    self.last_data_at = now
                self.bytes_read += len(chunk)
                text = self._partial + self._decoder.decode(chunk)
                lines = text.split("\n")
                self._partial = lines.pop()
                if lines:
                    self._pending.extend(
                        line[:-1] if line.endswith("\r") else line for line in lines
                    )
                    stamp = 0.0 if self._backlog else time.time()
                    self._pending_stamps.extend([stamp] * len(lines))
                if self.status != "following":
                    self._set_status("following")
        except asyncio.CancelledError:
            raise
        except LogSourceError as e:
            self._set_status(f"error: {e}")
        except Exception as e:  # a broken reader is a message, never a crash
            self._set_status(f"error: {type(e).__name__}: {e}")
        else:
            self._set_status("ended")
        finally:
            self.reading = False
            self.flush()

    def stop(self, why: str) -> None:
        """Stop reading (the task has ended and its file is complete): say `why`."""
        self.workers.cancel_group(self, "log-reader")
        self.reading = False
        self.flush()
        if self._partial:
            self._pending.append(self._partial)
            self._pending_stamps.append(0.0 if self._backlog else time.time())
            self._partial = ""
            self.flush()
        self._set_status(why)

    def flush(self) -> None:
        """Move what the reader gathered into the view (at most 10 times a second)."""
        if self._pending:
            pending, self._pending = self._pending, []
            stamps, self._pending_stamps = self._pending_stamps, []
            self.stamps.extend(stamps)
            if self.timestamps:
                pending = [_stamp(t) + line for t, line in zip(stamps, pending, strict=False)]
            self.append_lines(pending)
            if len(self.stamps) > len(self.lines):  # the view dropped its oldest lines
                del self.stamps[:len(self.stamps) - len(self.lines)]

    def set_timestamps(self, on: bool) -> None:
        """Show (or hide) each line's arrival time in front of it."""
        if on == self.timestamps:
            return
        self.timestamps = on
        if on:
            self.lines[:] = [_stamp(t) + line for t, line in zip(self.stamps, self.lines,
                                                                  strict=False)]
        else:
            self.lines[:] = [line[STAMP_WIDTH:] for line in self.lines]
        self._longest = max((len(line) for line in self.lines), default=0)
        self._reflow()
        self._resize()
        self.refresh_all()

    def match_count(self) -> tuple[int, int]:
        """(the current match's number, counting from 1, or 0; how many lines match)."""
        if self.pattern is None:
            return 0, 0
        key = (self.pattern.pattern, len(self.lines), self.dropped, self.current_match,
               self.timestamps)
        if key != self._count_key:
            search = self.pattern.search
            hits = [i for i, line in enumerate(self.lines) if search(line)]
            current = self.current_match
            at = hits.index(current) + 1 if current is not None and current in hits else 0
            self._count_key, self._count = key, (at, len(hits))
        return self._count

    @property
    def text_so_far(self) -> str:
        return "\n".join(self.lines + ([self._partial] if self._partial else []))


STAMP_WIDTH = 9


def _stamp(at: float) -> str:
    if not at:
        return "········ "
    return time.strftime("%H:%M:%S ", time.localtime(at))
