"""`mesos-tui replay FILE [--speed X] [--paused]`: a recording (`mesos-tui --record FILE`)
played back in the TUI, without a cluster. The file is read and checked before the screen is
taken: a file that is not a whole recording is one line on stderr and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from daemons.common.flags import OneLineParser
from mesos_tui.client.replay import SPEEDS


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--speed {text!r} is not a number") from None
    if not SPEEDS[0] <= value <= SPEEDS[-1]:
        raise ValueError(f"--speed {value:g} is out of range ({SPEEDS[0]:g} to {SPEEDS[-1]:g})")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    p = OneLineParser(
        prog="mesos-tui replay",
        description="Play a recording (mesos-tui --record FILE) back in the TUI: p pauses, "
        ". steps to the next event, + and - change the speed; in the offers view space and n "
        "do the same.",
    )
    p.add_argument("file", help="the recording")
    p.add_argument("--speed", default="1", help="how fast to play (1 = as recorded; "
                   f"{SPEEDS[0]:g} to {SPEEDS[-1]:g})")
    p.add_argument("--paused", action="store_true",
                   help="start paused on the first snapshot (step with .)")
    ns = p.parse_args(list(argv) if argv is not None else None)
    try:
        speed = _speed(ns.speed)
    except ValueError as e:
        p.error(str(e))
    from mesos_tui.client.recording import RecordingError, read_recording

    try:
        recording = read_recording(ns.file)
    except RecordingError as e:
        sys.stderr.write(f"mesos-tui replay: {e}\n")
        return 2
    from mesos_tui.tui.replay import run_replay

    return run_replay(recording, speed=speed, paused=ns.paused)
