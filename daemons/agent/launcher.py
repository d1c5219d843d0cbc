"""The task launcher: one long-lived process per agent that forks every task and holds its exit.

A task used to cost six program starts (dash, setsid, env, sh, the command, and `sleep` as its
supervisor). The launcher is started once per agent work dir (`python -I -m
daemons.agent.launcher`, in a session of its own, so it outlives the agent like the tasks do)
and listens on an abstract Unix socket named after the work dir. For each launch request it
forks a child that, before running one instruction of the task:

1. joins the container's cgroups (writes its pid to each `cgroup.procs`),
2. leads a new session and process group (`setsid`),
3. sets the container's rlimits, resets every ignored signal to its default, unblocks all
   signals, and takes back the OOM score the agent had (the launcher itself is the OOM
   killer's last choice),
4. opens the sandbox's `stdout`/`stderr`, enters the sandbox, switches to the task's user
   (supplementary groups, gid, uid: what `setpriv --reuid --regid --init-groups` did), and
5. execs the task (`/bin/sh -c CMD`, or the command's argv).

A step that fails before the exec is reported back through a close-on-exec pipe and the
launch fails with that sentence; an exec that fails is the task's own failure (status 127,
the reason on its stderr), as with a shell. So a task costs one fork of a small process and
its own exec(s).

The launcher never reaps a task by itself: a finished task stays a zombie, whose exact wait
status the agent reads from `/proc/<pid>/stat` (as with the old supervisor, see
supervisor.py), checkpoints, and only then asks the launcher to reap it. That holds across an
agent restart: the new agent connects to the same launcher and reads the zombies left meanwhile.
If the launcher itself dies, its tasks go to init and their statuses are lost, which the agent
reports as such.

Only processes of the launcher's own user may connect (SO_PEERCRED), since it starts
processes as any user. It exits once it has had no client and no child for `IDLE_EXIT`
seconds; SIGTERM ends it (tasks then go to init, their statuses lost, as when a supervisor
was killed).

Protocol: each message is a 4-byte big-endian length and a JSON object, at most
`MAX_MESSAGE` bytes. Requests:
    {"op": "launch", "argv": [...], "env": {...}, "cwd": sandbox, "procs": [cgroup.procs...],
     "rlimits": [["c", "0"], ...], "user": [uid, gid, name] | null}
        -> {"pid": N} or {"error": "sentence", "step": "cgroup" | "rlimit" | "user" | ...}
    {"op": "reap", "pid": N, "start": ticks}   (no answer: the agent never waits for it)
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

MAX_MESSAGE = 4 * 1024 * 1024
_LENGTH = struct.Struct(">I")
RLIMITS = {"c": resource.RLIMIT_CORE, "n": resource.RLIMIT_NOFILE, "v": resource.RLIMIT_AS}
READY = b"ready\n"
IDLE_EXIT = 1.0  # With no client and no child for this long, the launcher exits.


class LauncherError(Exception):
    """The launcher could not be reached or refused a launch; the message says why."""


def socket_name(work_dir: str) -> str:
    """The abstract socket of the launcher of `work_dir` (no path: no length limit, no file
    left behind; the peer's uid is checked instead of file permissions)."""
    digest = hashlib.sha256(os.path.realpath(work_dir).encode()).hexdigest()[:32]
    return f"\0mesos-tui-launcher-{digest}"


def send_message(sock: socket.socket, message: dict[str, object]) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise LauncherError(f"the launch request is too large ({len(data)} bytes)")
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket) -> dict[str, object]:
    (length,) = _LENGTH.unpack(_recv_exactly(sock, _LENGTH.size))
    if length > MAX_MESSAGE:
        raise LauncherError(f"message of {length} bytes is over the limit")
    value = json.loads(_recv_exactly(sock, length))
    if not isinstance(value, dict):
        raise LauncherError("message is not a JSON object")
    return value


# ------------------------------------------------------------------------------ the agent's side

CONNECT_TIMEOUT = 10.0  # Starting the launcher (an interpreter) takes some 30 ms.
REPLY_TIMEOUT = 10.0  # A launch is a fork and an exec.


class LauncherClient:
    """The agent's connection to the launcher of its work dir, started when none answers.

    Calls are blocking and come from the agent's event loop: a launch is answered in about a
    millisecond (the fork and the exec), a reap is not answered at all.
    """

    def __init__(self, work_dir: str | os.PathLike[str], python: str = sys.executable) -> None:
        self.work_dir = os.fspath(work_dir)
        self.python = python
        self._sock: socket.socket | None = None
        self.pid: int | None = None  # The launcher's pid and start time, once connected.
        self.start: int | None = None

    def connect(self) -> socket.socket:
        """The connection to the launcher, starting one if none answers."""
        if self._sock is not None:
            return self._sock
        name = socket_name(self.work_dir)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(name)
                break
            except OSError as e:
                sock.close()
                if e.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                    raise LauncherError(f"cannot reach the task launcher: {e.strerror}") from None
            if time.monotonic() > deadline:
                raise LauncherError("the task launcher did not start")
            self._start_launcher(deadline)
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", creds)
        if uid != os.geteuid():
            # An abstract name can be taken by anyone: a launcher of another user would be
            # trusted with our tasks and answer pids we then signal. Never talk to it.
            sock.close()
            raise LauncherError(
                f"the task launcher's socket is held by a process of uid {uid} (pid {pid}), "
                "not this agent's user; stop that process"
            )
        self.pid = pid
        self.start = _start_time(pid)
        sock.settimeout(REPLY_TIMEOUT)
        self._sock = sock
        return sock

    def _start_launcher(self, deadline: float) -> None:
        """Start a launcher in a session of its own (it outlives the agent, as tasks do) and
        wait until it listens (or says another one already does)."""
        import subprocess

        script = os.path.abspath(__file__)
        try:
            process = subprocess.Popen(
                [self.python, "-I", script, self.work_dir],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as e:
            raise LauncherError(f"cannot start the task launcher: {e.strerror}") from None
        assert process.stdout is not None
        import select

        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = process.stdout.readline() if ready else b""
        process.stdout.close()
        if line != READY:
            code = process.poll()
            if code not in (None, 0):
                raise LauncherError(f"the task launcher failed to start (status {code})")
        # It stays the agent's child (so whoever stops the agent's process tree finds it and
        # its tasks), and is reaped as soon as it exits, by a thread that waits for just that.
        import threading

        threading.Thread(target=process.wait, name="launcher-reaper", daemon=True).start()

    def launch(self, request: dict[str, object]) -> int:
        """Launch a task; its pid. LauncherError says why not (the setup step that failed)."""
        request = {**request, "op": "launch"}
        for attempt in (1, 2):
            sock = self.connect()
            try:
                send_message(sock, request)
                break
            except OSError as e:
                # Not sent: the launcher went away before (killed). Once more, afresh.
                self.close()
                if attempt == 2:
                    raise LauncherError(f"the task launcher is gone: {e.strerror or e}") from None
        try:
            answer = recv_message(sock)
        except (OSError, EOFError, ValueError) as e:
            # Sent but not answered: the task may have started. Never launch it a second
            # time; the launch fails (and the caller removes its cgroups, with whatever runs
            # in them).
            self.close()
            raise LauncherError(f"the task launcher did not answer: {e or 'it closed'}") from None
        if "pid" in answer:
            return int(answer["pid"])  # type: ignore[call-overload]
        raise LauncherError(f"{_STEPS.get(str(answer.get('step')), 'it failed')}: {answer.get('error')}")

    def reap(self, pid: int, start: int | None) -> None:
        """Let the launcher reap the task `pid` (its exit status is checkpointed)."""
        if self._sock is None:
            return
        try:
            send_message(self._sock, {"op": "reap", "pid": pid, "start": start})
        except (OSError, LauncherError):
            self.close()

    def serves(self, pid: int | None, start: int | None) -> bool:
        """Whether (pid, start) is this client's launcher (connecting if need be)."""
        if pid is None:
            return False
        try:
            self.connect()
        except LauncherError:
            return False
        return pid == self.pid and (start is None or start == self.start)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


_STEPS = {
    "cgroup": "it could not join the container's cgroups",
    "session": "it could not start a new session",
    "rlimit": "it could not set the container's rlimits",
    "signals": "it could not reset the signals",
    "sandbox": "it could not enter the sandbox",
    "user": "it could not switch to the task's user",
    "fork": "the launcher could not fork",
    "request": "the launcher refused the request",
}


# ------------------------------------------------------------------------------ the child


def _child(request: dict, report: int, oom_score: bytes) -> None:  # type: ignore[type-arg]
    """In the forked child: set the container up, then exec the task. Never returns."""
    step = "cgroup"
    try:
        pid = str(os.getpid()).encode()
        for path in request.get("procs") or ():
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)
        step = "session"
        os.setsid()
        step = "rlimit"
        for name, value in request.get("rlimits") or ():
            number = resource.RLIM_INFINITY if value == "unlimited" else int(value)
            if name == "v" and number != resource.RLIM_INFINITY:
                number *= 1024  # ulimit -v is in KB
            resource.setrlimit(RLIMITS[name], (number, number))
        step = "signals"
        for sig in signal.valid_signals():
            if sig in (signal.SIGKILL, signal.SIGSTOP):
                continue
            try:
                if signal.getsignal(sig) is not signal.SIG_DFL:
                    signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        if oom_score:
            try:
                fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
                try:
                    os.write(fd, oom_score)
                finally:
                    os.close(fd)
            except OSError:
                pass
        step = "sandbox"
        cwd = str(request["cwd"])
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open("stdout", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        err = os.open("stderr", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        user = request.get("user")
        if user:
            step = "user"
            uid, gid, name = int(user[0]), int(user[1]), str(user[2])
            os.fchown(1, uid, gid)  # The task's own output files are the task's user's.
            os.fchown(2, uid, gid)
        for fd in (null, out, err):
            if fd > 2:
                os.close(fd)
        if user:
            os.initgroups(name, gid)
            os.setgid(gid)
            os.setuid(uid)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        os.write(report, json.dumps({"step": step, "error": what}).encode())
        os._exit(126)
    argv = [str(a) for a in request["argv"]]
    env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        os.write(2, f"mesos-tui: cannot run {argv[0]!r}: {e.strerror or e}\n".encode())
    os._exit(127)


# ------------------------------------------------------------------------------ the server


class Launcher:
    """The launcher's loop: accept the agent's connections, launch, reap when told."""

    def __init__(self, listener: socket.socket, oom_score: bytes) -> None:
        self.listener = listener
        self.oom_score = oom_score
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ)
        self.clients: dict[socket.socket, bytearray] = {}
        self.uid = os.getuid()
        self.own_cgroups = _own_cgroups()  # (mount point, own path), longest mount first

    def serve(self) -> None:
        """Serve until nobody has been connected and no child has been left for IDLE_EXIT s."""
        idle_since = time.monotonic()
        while True:
            for key, _ in self.selector.select(timeout=IDLE_EXIT / 2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self.listener:
                    self._accept()
                else:
                    self._readable(sock)
            if self.clients or _has_children():
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= IDLE_EXIT:
                return

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid != self.uid:
            conn.close()  # It starts processes as any user: only its own user may ask.
            return
        conn.setblocking(False)
        self.clients[conn] = bytearray()
        self.selector.register(conn, selectors.EVENT_READ)

    def _drop(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)
        self.clients.pop(conn, None)
        conn.close()

    def _readable(self, conn: socket.socket) -> None:
        buffer = self.clients[conn]
        try:
            data = conn.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        buffer += data
        while len(buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(buffer)
            if length > MAX_MESSAGE:
                self._drop(conn)
                return
            if len(buffer) < _LENGTH.size + length:
                break
            raw = bytes(buffer[_LENGTH.size : _LENGTH.size + length])
            del buffer[: _LENGTH.size + length]
            try:
                request = json.loads(raw)
            except ValueError:
                self._drop(conn)
                return
            if not isinstance(request, dict):
                self._drop(conn)
                return
            answer = self.handle(request)
            if answer is not None:
                try:
                    conn.setblocking(True)
                    conn.sendall(_frame(answer))
                    conn.setblocking(False)
                except OSError:
                    self._drop(conn)
                    return

    def handle(self, request: dict) -> dict[str, object] | None:  # type: ignore[type-arg]
        op = request.get("op")
        if op == "launch":
            return self.launch(request)
        if op == "reap":
            self.reap(request)
            return None
        return {"error": f"unknown request {op!r}", "step": "request"}

    def launch(self, request: dict) -> dict[str, object]:  # type: ignore[type-arg]
        if not isinstance(request.get("argv"), list) or not request["argv"]:
            return {"error": "no command to run", "step": "request"}
        if not request.get("rlimits"):
            return self.spawn(request)
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        try:
            pid = os.fork()
        except OSError as e:
            os.close(read_end)
            os.close(write_end)
            return {"error": f"fork failed: {e.strerror}", "step": "fork"}
        if pid == 0:
            os.close(read_end)
            try:
                _child(request, write_end, self.oom_score)
            finally:
                os._exit(126)
        os.close(write_end)
        chunks = []
        while True:
            try:
                chunk = os.read(read_end, 4096)
            except InterruptedError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
        os.close(read_end)
        if chunks:
            # The child failed before the exec and has exited: reap it, report why.
            os.waitpid(pid, 0)
            try:
                failure = json.loads(b"".join(chunks))
                return {"error": str(failure["error"]), "step": str(failure["step"])}
            except (ValueError, KeyError, TypeError):
                return {"error": "the task's setup failed", "step": "unknown"}
        return {"pid": pid}

    def spawn(self, request: dict) -> dict[str, object]:  # type: ignore[type-arg]
        """The fast way, for containers without rlimits: no Python runs in the child.

        The launcher steps into the container's cgroups itself, spawns the task with vfork
        and exec (subprocess: setsid, the sandbox as cwd, default SIGPIPE/SIGXFSZ, the
        task's user and groups), and steps back out: a child starts in its parent's cgroups,
        so the task is in its own from its first instruction, at the cost of a few cgroup
        writes rather than a fork of this interpreter (whose copy-on-write faults cost
        several milliseconds).
        """
        import subprocess

        procs = [str(p) for p in request.get("procs") or ()]
        cwd = str(request["cwd"])
        argv = [str(a) for a in request["argv"]]
        env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
        user = request.get("user")
        step = "sandbox"
        out = err = null = -1
        joined: list[str] = []
        try:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            out = os.open(os.path.join(cwd, "stdout"), flags, 0o644)
            err = os.open(os.path.join(cwd, "stderr"), flags, 0o644)
            null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            kwargs: dict[str, object] = {}
            if user:
                step = "user"
                uid, gid, name = int(user[0]), int(user[1]), str(user[2])
                os.fchown(out, uid, gid)
                os.fchown(err, uid, gid)
                kwargs = {"user": uid, "group": gid, "extra_groups": os.getgrouplist(name, gid)}
            step = "cgroup"
            pid_text = str(os.getpid()).encode()
            for path in procs:
                _write_file(path, pid_text)
                joined.append(path)
            if self.oom_score:
                _write_file("/proc/self/oom_score_adj", self.oom_score)  # What the task gets.
            step = "exec"
            process = subprocess.Popen(
                argv, stdin=null, stdout=out, stderr=err, cwd=cwd, env=env,
                start_new_session=True, restore_signals=True, close_fds=True,
                **kwargs,  # type: ignore[arg-type]
            )
        except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as e:
            if isinstance(e, OSError) and step == "exec" and e.filename == cwd:
                step = "sandbox"
            what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            return {"error": what, "step": step}
        finally:
            self._step_out(joined)
            for fd in (out, err, null):
                if fd >= 0:
                    os.close(fd)
        # The zombie is the agent's to have reaped: subprocess must never wait for it.
        process.returncode = 0
        return {"pid": process.pid}

    def _step_out(self, joined: list[str]) -> None:
        """Back to the launcher's own cgroups and OOM score, after a spawn."""
        if self.oom_score:
            try:
                _write_file("/proc/self/oom_score_adj", b"-1000")
            except OSError:
                pass
        if not joined:
            return
        pid_text = str(os.getpid()).encode()
        for path in joined:
            home = self.home_cgroup(path)
            if home is not None:
                try:
                    _write_file(home, pid_text)
                except OSError:
                    pass

    def home_cgroup(self, procs_file: str) -> str | None:
        """The launcher's own `cgroup.procs` in the hierarchy of `procs_file`."""
        for mount, own in self.own_cgroups:
            if procs_file.startswith(mount + "/"):
                return f"{mount}{own}/cgroup.procs".replace("//", "/")
        return None

    @staticmethod
    def reap(request: dict) -> None:  # type: ignore[type-arg]
        """Reap the zombie `pid` (once the agent has its status), if it is still ours."""
        try:
            pid = int(request["pid"])
        except (KeyError, TypeError, ValueError):
            return
        if pid <= 0:
            return
        start = request.get("start")
        if start is not None and _start_time(pid) not in (None, start):
            return  # Not the process the agent means.
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _own_cgroups() -> list[tuple[str, str]]:
    """(mount point, this process's cgroup path in it) for each cgroup hierarchy."""
    by_controllers: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                by_controllers[controllers] = path
        with open("/proc/self/mountinfo") as f:
            mounts = f.read().splitlines()
    except (OSError, ValueError):
        return []
    found = []
    for line in mounts:
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) < 5 or len(rest) < 3 or rest[0] not in ("cgroup", "cgroup2"):
            continue
        mount = fields[4].replace("\\040", " ")
        if rest[0] == "cgroup2":
            key = ""
        else:
            names = [o for o in rest[2].split(",") if o in _V1_CONTROLLERS or o.startswith("name=")]
            key = next((k for k in by_controllers if k and set(k.split(",")) == set(names)), "")
            if not key:
                continue
        if key in by_controllers:
            found.append((mount, by_controllers[key]))
    return sorted(found, key=lambda m: -len(m[0]))


_V1_CONTROLLERS = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio",
    "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc",
}


def _has_children() -> bool:
    """Any child left, running or a zombie (which is never reaped unless the agent says)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _frame(message: dict[str, object]) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode()
    return _LENGTH.pack(len(data)) + data


def _start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return int(raw[raw.rindex(b")") + 2 :].split()[19])


def _lower_own_oom_score() -> bytes:
    """Make the launcher the OOM killer's last choice; answer the score its tasks take back."""
    try:
        with open("/proc/self/oom_score_adj", "rb") as f:
            original = f.read().strip()
    except OSError:
        return b""
    try:
        with open("/proc/self/oom_score_adj", "wb") as f:
            f.write(b"-1000")
    except OSError:
        pass
    return original


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m daemons.agent.launcher WORK_DIR\n")
        return 2
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(socket_name(argv[0]))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            return 0  # Another launcher serves this work dir already.
        sys.stderr.write(f"launcher: cannot listen: {e.strerror}\n")
        return 1
    listener.listen(16)
    # Tasks started the fast way (`spawn`: vfork and exec) inherit this process's signal mask
    # and ignored signals: start from none, whatever thread or shell started the launcher
    # (a blocked signal was seen inherited from a test process's thread).
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGPIPE, signal.SIGXFSZ):
            try:
                if signal.getsignal(sig) is signal.SIG_IGN:
                    signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # Never reap by accident: zombies are kept.
    launcher = Launcher(listener, _lower_own_oom_score())
    # Tell the agent the socket is listening, then let go of its pipe and of its stderr: the
    # launcher outlives the agent, and must not hold a pipe its reader waits to see closed.
    os.write(1, READY)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    launcher.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
