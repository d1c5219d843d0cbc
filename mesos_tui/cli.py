"""`mesos-tui`: the terminal UI, and the entry to its siblings.

    mesos-tui [--master host:port | zk://host:port/path]   the TUI (default 127.0.0.1:5050,
                                                           or $MESOS_MASTER)
    mesos-tui shell [...]                                  the shell (mesos_tui.shell.repl)
    mesos-tui up [...]                                     a local cluster (mesos_tui.local)
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence

from daemons.common.detector import DetectorError, parse_hostport
from daemons.common.flags import STR, FlagSet

SUBCOMMANDS = {
    "shell": ("mesos_tui.shell.repl", "the shell"),
    "up": ("mesos_tui.local", "the local cluster"),
}


def _subcommand(name: str, argv: list[str]) -> int:
    module_name, what = SUBCOMMANDS[name]
    try:
        module = importlib.import_module(module_name)
        entry = module.main
    except (ImportError, AttributeError):
        sys.stderr.write(f"mesos-tui {name}: {what} is not available yet in this build\n")
        return 2
    result = entry(argv)
    return int(result or 0)


def flags() -> FlagSet:
    fs = FlagSet("mesos-tui", "The Mesos cluster in your terminal: agents, frameworks, "
                 "tasks, offers, events and task logs, following the leading master.")
    fs.add("master", STR, default="127.0.0.1:5050",
           help="the master: host:port, or zk://host:port[,host:port]/path")
    fs.add("log_file", STR, default="",
           help="where to write the TUI's own log (tracebacks go here, never on screen)")
    return fs


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return _subcommand(args[0], args[1:])
    ns = flags().parse(args)
    master = ns.master.strip()
    if not master.startswith("zk://"):
        try:
            host, port = parse_hostport(master)
        except DetectorError as e:
            sys.stderr.write(f"mesos-tui: {e}\n")
            return 2
        master = f"{host}:{port}"
    log_file = ns.log_file or os.path.join(
        os.environ.get("XDG_STATE_HOME", os.path.expanduser("~/.local/state")),
        "mesos-tui", "tui.log")
    try:
        os.makedirs(os.path.dirname(log_file), exist_ok=True)
        logging.basicConfig(filename=log_file, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    except OSError:
        logging.basicConfig(level=logging.CRITICAL)

    from mesos_tui.tui.app import run_tui

    run_tui(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
