"""Task supervisors: how a task's exact exit status outlives the agent that started it.

By default tasks are started by the agent's long-lived launcher (launcher.py), which holds
their exits the same way (a zombie nobody reaps until the agent says); the per-task
supervisor below is `--task_launcher=supervisor`. `proc_stat`, `same_process` and `boot_id`
serve both.

Each task runs under a supervisor the agent spawns in a new session:

    dash -c SCRIPT mesos-tui-supervisor [/cgroup/.../cgroup.procs ...] [c=0 ...] -- ARGV...

The script is a handful of shell builtins. It writes its own pid into each `cgroup.procs` it
is given (so the task is inside its cgroups before it runs a single instruction of its own:
no `preexec_fn` in the asyncio agent, no window where the task runs unconfined), applies the
`ulimit`s it is given, starts the task with `setsid` (the task leads its own session and
process group, so a kill of that group never reaches the supervisor), writes the task's pid
to its stdout (a pipe the agent reads once), makes itself the OOM killer's last choice (after
the fork, so the task keeps its own score), and then `exec`s `sleep`. The forked task first
waits for a line on the supervisor's stdin (a pipe from the agent), which the agent writes
once the supervisor has become `sleep`: until its exec, dash reaps finished children from its
SIGCHLD handler, and a task as quick as `true` would lose its status (measured: ~10% of them).
If the agent dies before writing, the pipe's EOF releases the task just the same.

`sleep` never calls wait(). When the task exits it stays a zombie under the supervisor, and a
zombie's wait status is readable by any process of the same user from `/proc/<pid>/stat`
(field 52, `exit_code`, Linux >= 3.5) for as long as the supervisor lives. So the agent, parent
or not (a restarted agent is not), watches the task with a pidfd, reads the exact status
(`exit 137` and SIGKILL stay apart), checkpoints it, and only then kills the supervisor. The
cost is one `dash` and one `sleep` exec per task (~1 ms of CPU), against ~8 ms for a Python
supervisor; nothing is written from inside the container, so there is no file to lose half
of when something is SIGKILLed.

Where `dash` or `setsid` is missing, `python -m daemons.agent.supervisor` does the same (it
never reaps either). bash is not used: it reaps background jobs from its SIGCHLD handler, which
would throw away the status of a task that ends before the supervisor execs `sleep`.

A process is named by (pid, start time): `start_time` reads field 22 of `/proc/<pid>/stat`, so
a pid reused by an unrelated process after a reboot or a long outage is never taken for the
task.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

SCRIPT = (
    "exec 3<&0 </dev/null; "
    'while [ $# -gt 0 ]; do case $1 in --) shift; break;; '
    '/*) echo $$ >"$1" || exit 125;; '
    '*) ulimit -"${1%%=*}" "${1#*=}" || exit 126;; esac; shift; done; '
    '{ read _ <&3; exec {launcher} "$@" 3<&-; } </dev/null >>stdout & '
    "echo $!; "
    "{ echo -1000 >/proc/$$/oom_score_adj; } 2>/dev/null; "
    "exec sleep 2147483647 </dev/null >/dev/null 2>&1 3<&-"
)
NAME = "mesos-tui-supervisor"
# Exit statuses of the supervisor itself when it cannot set the container up.
EXIT_CGROUP = 125
EXIT_RLIMIT = 126


@functools.cache
def _launcher() -> str:
    """`setsid`, and `env --default-signal` where coreutils has it: an asynchronous list of a
    non-interactive shell starts with SIGINT and SIGQUIT ignored, which the task must not
    inherit (Python, for one, then never raises KeyboardInterrupt)."""
    try:
        probe = subprocess.run(
            ["env", "--default-signal=INT,QUIT", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "setsid"
    return "setsid env --default-signal=INT,QUIT" if probe.returncode == 0 else "setsid"


def supervisor_argv(
    procs_files: list[str],
    ulimits: list[str],
    argv: list[str],
    python: str = sys.executable,
) -> list[str]:
    """The argv that supervises `argv` (the task) in the current directory (its sandbox).

    Its stdin must be the read end of a pipe the task waits on before it execs: the agent writes a
    line there once the supervisor is `sleep` (dash reaps children until it execs; a task
    that ended before that would lose its status). If the agent dies first, the pipe's EOF
    lets the task go all the same.
    """
    args = [*procs_files, *ulimits, "--", *argv]
    shell = _shell()
    if shell is not None:
        return [shell[0], "-c", shell[1], NAME, *args]
    return [python, "-I", "-m", "daemons.agent.supervisor", *args]


@functools.cache
def _shell() -> tuple[str, str] | None:
    """dash and the script, once per agent (None: use the Python supervisor)."""
    dash = shutil.which("dash")
    if dash and shutil.which("setsid") and shutil.which("sleep"):
        return dash, SCRIPT.replace("{launcher}", _launcher())
    return None


@dataclass(slots=True, frozen=True)
class ProcStat:
    """The fields of `/proc/<pid>/stat` the agent needs."""

    state: str  # "Z" for a zombie
    ppid: int
    start_time: int  # clock ticks after boot
    exit_code: int  # the wait status, meaningful once the process is a zombie


def proc_stat(pid: int) -> ProcStat | None:
    """`/proc/<pid>/stat`, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    exit_code = int(fields[49]) if len(fields) > 49 else 0
    return ProcStat(fields[0].decode(), int(fields[1]), int(fields[19]), exit_code)


def start_time(pid: int) -> int | None:
    stat = proc_stat(pid)
    return None if stat is None else stat.start_time


def same_process(pid: int, started: int | None) -> ProcStat | None:
    """The process `pid` if it is still the one that started at `started`."""
    stat = proc_stat(pid)
    if stat is None or (started is not None and stat.start_time != started):
        return None
    return stat


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _main(args: list[str]) -> int:
    """The Python supervisor, for hosts without dash: the same protocol as SCRIPT."""
    import resource

    if "--" not in args:
        print(f"usage: {NAME} [procs files] [ulimits] -- argv", file=sys.stderr)
        return 2
    split = args.index("--")
    setup, argv = args[:split], args[split + 1 :]
    limits = {"c": resource.RLIMIT_CORE, "n": resource.RLIMIT_NOFILE, "v": resource.RLIMIT_AS}
    for word in setup:
        try:
            if word.startswith("/"):
                with open(word, "w") as f:
                    f.write(str(os.getpid()))
            else:
                name, _, value = word.partition("=")
                number = resource.RLIM_INFINITY if value == "unlimited" else int(value)
                if name in ("v",):
                    number *= 1024
                resource.setrlimit(limits[name], (number, number))
        except (OSError, KeyError, ValueError) as e:
            print(f"{NAME}: {word}: {e}", file=sys.stderr)
            return EXIT_CGROUP if word.startswith("/") else EXIT_RLIMIT
    out = os.open("stdout", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out, 1)
            os.execvp(argv[0], argv)
        except OSError as e:
            print(f"{NAME}: {argv[0]}: {e.strerror}", file=sys.stderr)
        os._exit(127)
    os.close(out)
    os.write(1, f"{pid}\n".encode())
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # Never reap: the zombie keeps the status.
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
