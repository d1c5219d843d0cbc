"""`mesos-execute`: run one command as a task on the cluster and wait for it to end.

Mesos's own tool, with its flags and its output. It subscribes a framework, waits for an offer
that fits the task (declining the others with a short filter), launches the task there, prints
every status update, optionally kills the task after `--kill_after`, and tears its framework
down on exit. The exit status is 0 when the task ends TASK_FINISHED and 1 for any other
terminal state; bad flags end it with one line and status 2.

It never waits silently for resources no agent has: after a few offer rounds without a fit
(or a while without any offer) it asks the operator API for the registered agents. If none of
them could ever hold the task it says so and exits 1; if one could but is busy, it says once
that it is waiting, and keeps waiting.

    mesos-execute --master 127.0.0.1:5050 --name hello --command "echo hello" \\
        --resources "cpus:0.1;mem:32"

This module is what `mesos-execute` imports first, so it holds only the flags: `--help` and a
bad flag answer without loading asyncio, grpc or protobuf. The scheduler that runs the task
is mesos_tui.execute_scheduler, imported once the flags are good.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from daemons.common import flags as F

CONNECT_TIMEOUT = 10.0  # --connect_timeout: how long to try to reach a master before giving up

T = TypeVar("T")


def _env_json(text: str) -> dict[str, str]:
    """`--env`: a JSON object of variables, or the path of a file holding one."""
    import json

    raw = text
    path = text[len("file://") :] if text.startswith("file://") else text
    if not text.lstrip().startswith("{") and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"bad --env {text!r}: not a JSON object ({e.msg})") from None
    if not isinstance(value, dict):
        raise ValueError(f'bad --env {text!r}: expected a JSON object like {{"NAME": "value"}}')
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _flag_type(kind: str, convert: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type whose errors become mesos-execute's one-line flag errors."""

    def parse(text: str) -> T:
        try:
            return convert(text)
        except (ValueError, KeyError, TypeError) as e:
            raise argparse.ArgumentTypeError(str(e) or f"{text!r} is not {kind}") from None

    parse.__name__ = kind
    return parse


ENV = _flag_type("a JSON object", _env_json)


def _capabilities(text: str) -> list[int]:
    """`--framework_capabilities`: names like PARTITION_AWARE, comma separated (or JSON)."""
    import json

    names: list[str]
    stripped = text.strip()
    if stripped.startswith("[") or stripped.startswith("{"):
        value = json.loads(stripped)
        items = value.get("capabilities", []) if isinstance(value, dict) else value
        names = [i["type"] if isinstance(i, dict) else str(i) for i in items]
    else:
        names = [n.strip() for n in stripped.split(",") if n.strip()]
    from daemons.proto import mesos_pb2

    known = mesos_pb2.FrameworkInfo.Capability.Type
    out = []
    for name in names:
        try:
            out.append(known.Value(name.upper()))
        except ValueError:
            raise ValueError(
                f"unknown framework capability {name!r} "
                f"(known: {', '.join(n for n in known.keys() if n != 'UNKNOWN')})"
            ) from None
    return out


CAPABILITIES = _flag_type("framework capabilities", _capabilities)


def flag_set() -> F.FlagSet:
    fs = F.FlagSet("mesos-execute", "Run one command as a task on a Mesos-like cluster.")
    fs.add("master", F.MASTER, help="the master: host:port or zk://host:port/path", required=True)
    fs.add("name", F.STR, help="the task's name (and id)", required=True)
    fs.add("command", F.STR, help="the command to run")
    fs.add("shell", F.BOOL, default=True, help="run the command through /bin/sh -c")
    fs.add("resources", F.RESOURCES, default="cpus:1;mem:128", help="what the task asks for")
    fs.add("role", F.STR, default="*", help="the framework's role")
    fs.add("env", ENV, help='environment variables as a JSON object, as in {"NAME": "value"}')
    fs.add("kill_after", F.DURATION, help="kill the task this long after it is running")
    fs.add("framework_name", F.STR, default="mesos-execute instance", help="the framework's name")
    fs.add("checkpoint", F.BOOL, default=False, help="ask the agent to checkpoint the task")
    fs.add("principal", F.STR, help="the principal to register the framework with (and to "
           "authenticate as, with --secret or --secret_file)")
    fs.add("secret", F.STR, help="the principal's secret (visible to `ps`: prefer --secret_file "
           "or $MESOS_SECRET)")
    fs.add("secret_file", F.STR, help="a file whose first line is the principal's secret")
    fs.add(
        "framework_capabilities",
        CAPABILITIES,
        help="framework capabilities, comma separated, as in PARTITION_AWARE",
    )
    fs.add("partition_aware", F.BOOL, default=False, help="enable the PARTITION_AWARE capability")
    fs.add(
        "connect_timeout", F.DURATION, default=CONNECT_TIMEOUT,
        help="give up when no master answers within this long (0: keep trying)",
    )
    return fs


def main(argv: Sequence[str] | None = None) -> None:
    fs = flag_set()
    ns = fs.parse(argv)
    from mesos_tui.cli import tls_settings_error

    if tls_settings_error("mesos-execute") is not None:
        sys.exit(2)
    if not ns.command:
        fs.parser.error("flag --command is required")
    if not ns.name.strip():
        fs.parser.error("flag --name must not be empty")
    import asyncio
    import logging

    # The driver's own log lines are not for this terminal: what matters is said in one line.
    logging.getLogger().addHandler(logging.NullHandler())

    from daemons.common.auth import AuthConfigError, client_credential
    from mesos_tui.execute_scheduler import execute

    try:
        ns.credential = client_credential(ns.principal, ns.secret, ns.secret_file)
    except AuthConfigError as e:
        fs.parser.error(str(e))
    try:
        code = asyncio.run(execute(ns))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def __getattr__(name: str) -> Any:
    """The scheduler's names (Execute, format_update, framework_info, ...) as they were here
    before the split, loaded on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    import mesos_tui.execute_scheduler as scheduler

    try:
        return getattr(scheduler, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


if __name__ == "__main__":
    main()
