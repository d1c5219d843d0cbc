"""The agent's Files API: list, read and follow files in the sandboxes, and nothing else.

`SandboxFiles` walks a requested path from the sandbox root `<work_dir>/slaves` down, one
component at a time, by file descriptor: each component is opened with `openat(O_PATH |
O_NOFOLLOW)` relative to the directory opened before it, so nothing is checked by name and
then reopened by name (a task swapping a directory for a symlink mid-request finds nothing to
race). Symlinks are followed by the walk itself: a link's text is read and its components are
walked the same way, so a link may point anywhere inside the sandboxes (`runs/latest`) and
nowhere else (an absolute target outside the root, or a `..` above it, is refused; at most
MAX_LINKS links per request). A request path may not hold NUL or `..` at all; paths are taken
literally (`%2e%2e` is a file name, not `..`).

The file reached is read through its own descriptor (reopened via /proc/self/fd), and refused
when it has other hard links and belongs to someone other than the sandbox's owner (or to
root): a task cannot publish /etc/shadow by linking it into its sandbox. List shows each entry
as it is (`lstat`): a symlink is shown as a link, its target is never looked at.

Authorization per framework (who may read which sandboxes) comes with identity: the servicer
calls `authorize(context, path)` before each request, which allows everything until the
authorizer exists (see docs/security.md).

`FilesServicer` serves it over gRPC (`Files` in agent.proto). Read is bounded (1 MiB per call);
Follow streams bytes as they are appended, checking the file every 100 ms.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc

from daemons.proto import agent_pb2, agent_pb2_grpc

log = logging.getLogger(__name__)

MAX_READ = 1024 * 1024
FOLLOW_POLL_SECONDS = 0.1
MAX_PATH = 4096
MAX_LINKS = 40  # as the kernel's own limit on symlinks in one lookup
# slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>: the run directory is the 7th
# below the root, and its owner is the task's user.
SANDBOX_DEPTH = 7


class FilesError(Exception):
    """A request the Files API refuses; `code` is the gRPC status to answer with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _denied(path: str, why: str) -> FilesError:
    return FilesError(grpc.StatusCode.PERMISSION_DENIED, f"access to {path!r} denied: {why}")


def _not_found(path: str) -> FilesError:
    return FilesError(grpc.StatusCode.NOT_FOUND, f"no such file or directory: {path!r}")


@dataclass(slots=True, frozen=True)
class Chunk:
    data: bytes
    offset: int
    size: int  # The whole file's size when read.


class SandboxFiles:
    """Confined access to the files under one sandbox root."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.real_root = Path(os.path.realpath(self.root))

    # ------------------------------------------------------------------------- the walk

    def _components(self, path: str) -> list[str]:
        """The request path as components under the root; FilesError if it is not one."""
        if not isinstance(path, str):
            raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, "the path is not valid UTF-8")
        if len(path) > MAX_PATH:
            raise FilesError(
                grpc.StatusCode.INVALID_ARGUMENT, f"the path is longer than {MAX_PATH} characters"
            )
        if "\0" in path:
            raise _denied(path.replace("\0", "\\0"), "the path holds a NUL byte")
        parts = path.replace("\\", "/").split("/")
        if ".." in parts:
            raise _denied(path, "'..' is not allowed in sandbox paths")
        if os.path.isabs(path):
            candidate = "/" + os.path.normpath(path).lstrip("/")
            for root in (str(self.root), str(self.real_root)):
                if _inside(candidate, root):
                    rest = candidate[len(root.rstrip("/")):]
                    return [p for p in rest.split("/") if p not in ("", ".")]
            raise _denied(path, f"only files under {self.root} are served")
        return [p for p in parts if p not in ("", ".")]

    def _open(self, path: str) -> _Opened:
        """Walk `path` from the root by descriptor; the O_PATH descriptor of what it names."""
        todo = deque(self._components(path))
        try:
            root_fd = os.open(self.real_root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise FilesError(grpc.StatusCode.UNAVAILABLE, f"the sandboxes are unreadable: {e}") from None
        stack = [root_fd]  # descriptors of the directories walked, root first
        links = 0
        fd = root_fd
        try:
            while todo:
                name = todo.popleft()
                if name in ("", "."):
                    continue
                if name == "..":  # only ever from a symlink's text
                    if len(stack) == 1:
                        raise _denied(path, "it leads outside the sandboxes")
                    os.close(stack.pop())
                    fd = stack[-1]
                    continue
                try:
                    child = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1])
                except FileNotFoundError:
                    raise _not_found(path) from None
                except OSError as e:
                    raise FilesError(
                        grpc.StatusCode.PERMISSION_DENIED, f"cannot open {path!r}: {e.strerror}"
                    ) from None
                st = os.fstat(child)
                if stat.S_ISLNK(st.st_mode):
                    links += 1
                    try:
                        target = os.readlink(name, dir_fd=stack[-1])
                    except OSError:
                        os.close(child)
                        raise _not_found(path) from None
                    os.close(child)
                    if links > MAX_LINKS:
                        raise _denied(path, f"it goes through more than {MAX_LINKS} symlinks")
                    if "\0" in target:
                        raise _denied(path, "a symlink on the way is malformed")
                    if target.startswith("/"):
                        inside = None
                        for root in (str(self.real_root), str(self.root)):
                            norm = "/" + os.path.normpath(target).lstrip("/")
                            if _inside(norm, root):
                                inside = norm[len(root.rstrip("/")):]
                                break
                        if inside is None:
                            raise _denied(path, "it leads outside the sandboxes")
                        while len(stack) > 1:
                            os.close(stack.pop())
                        todo.extendleft(reversed([p for p in inside.split("/") if p]))
                    else:
                        todo.extendleft(reversed(target.split("/")))
                    fd = stack[-1]
                    continue
                if todo:
                    if not stat.S_ISDIR(st.st_mode):
                        os.close(child)
                        raise _not_found(path)
                    stack.append(child)
                    fd = child
                else:
                    stack.append(child)
                    fd = child
            # `fd` is the last descriptor: the root itself when the path named nothing more.
            owner_fd = stack[SANDBOX_DEPTH] if len(stack) > SANDBOX_DEPTH else stack[0]
            owner = os.fstat(owner_fd).st_uid
            opened = _Opened(os.dup(fd), os.fstat(fd), owner)
        finally:
            for d in stack:
                os.close(d)
        return opened

    # ------------------------------------------------------------------------- requests

    def list(self, path: str) -> list[agent_pb2.FileInfo]:
        return [
            _file_info(_join(path, name) if name else path, st)
            for name, st in self.entries(path)
        ]

    def entries(self, path: str) -> list[tuple[str, os.stat_result]]:
        """What `path` holds, sorted by name: each entry's name and its own `lstat` (a
        symlink is shown as a link, never followed); a path that is not a directory is one
        entry named "" (itself)."""
        opened = self._open(path)
        try:
            if not stat.S_ISDIR(opened.st.st_mode):
                return [("", opened.st)]
            try:
                dir_fd = os.open(
                    f"/proc/self/fd/{opened.fd}", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
                )
            except OSError as e:
                raise FilesError(
                    grpc.StatusCode.PERMISSION_DENIED, f"cannot list {path!r}: {e.strerror}"
                ) from None
            out: list[tuple[str, os.stat_result]] = []
            try:
                with os.scandir(dir_fd) as found:
                    for entry in sorted(found, key=lambda e: e.name):
                        try:
                            info = os.stat(entry.name, dir_fd=dir_fd, follow_symlinks=False)
                        except OSError:
                            continue  # gone meanwhile
                        out.append((entry.name, info))
            finally:
                os.close(dir_fd)
            return out
        finally:
            os.close(opened.fd)

    def open_file(self, path: str) -> tuple[int, int]:
        """A descriptor open for reading on a regular file, and its size; FilesError otherwise.
        The caller closes the descriptor."""
        opened = self._open(path)
        try:
            st = opened.st
            if stat.S_ISDIR(st.st_mode):
                raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, f"{path!r} is a directory")
            if not stat.S_ISREG(st.st_mode):
                raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, f"{path!r} is not a regular file")
            if st.st_nlink > 1 and (st.st_uid != opened.owner or st.st_uid == 0):
                raise _denied(
                    path, "it is a hard link to a file that does not belong to the sandbox's user"
                )
            try:
                fd = os.open(
                    f"/proc/self/fd/{opened.fd}", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
                )
            except OSError as e:
                raise FilesError(
                    grpc.StatusCode.PERMISSION_DENIED, f"cannot open {path!r}: {e.strerror}"
                ) from None
            again = os.fstat(fd)
            if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino):
                os.close(fd)
                raise _denied(path, "the file changed while it was opened")
            return fd, again.st_size
        finally:
            os.close(opened.fd)

    def resolve(self, path: str) -> Path:
        """Where `path` leads inside the root (for logs and tests; requests use descriptors)."""
        opened = self._open(path)
        try:
            return Path(os.readlink(f"/proc/self/fd/{opened.fd}"))
        finally:
            os.close(opened.fd)

    def read(self, path: str, offset: int = 0, length: int = 0) -> Chunk:
        """Up to `length` bytes (0: to the end; never more than 1 MiB) from `offset`.

        A negative offset counts from the end of the file.
        """
        if length < 0:
            raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, "length must not be negative")
        fd, _size = self.open_file(path)
        try:
            return _read_at(fd, offset, length or MAX_READ)
        finally:
            os.close(fd)

    async def follow(self, path: str, offset: int = 0) -> AsyncIterator[Chunk]:
        """Bytes from `offset` on, and then as they are appended, until cancelled."""
        fd, size = self.open_file(path)
        os.close(fd)
        position = max(0, size + offset) if offset < 0 else offset
        first = True
        while True:
            try:
                chunk = self.read(path, position, MAX_READ)
            except FilesError:
                if first:
                    raise
                return  # The file went away: the follow ends.
            if chunk.size < position:
                # Truncated: start again from its new end.
                position = chunk.size
                chunk = Chunk(b"", position, chunk.size)
            if chunk.data or first:
                yield chunk
                first = False
                position = chunk.offset + len(chunk.data)
                if len(chunk.data) == MAX_READ:
                    continue  # More is waiting: no need to sleep.
            await asyncio.sleep(FOLLOW_POLL_SECONDS)


@dataclass(slots=True, frozen=True)
class _Opened:
    fd: int  # O_PATH descriptor of what the path names
    st: os.stat_result
    owner: int  # uid of the sandbox (run directory) it is in


def _read_at(fd: int, offset: int, length: int) -> Chunk:
    size = os.fstat(fd).st_size
    start = max(0, size + offset) if offset < 0 else min(offset, size)
    data = os.pread(fd, min(length, MAX_READ), start)
    return Chunk(data, start, size)


def _inside(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root + "/")


def _join(base: str, name: str) -> str:
    if not base:
        return name
    return base.rstrip("/") + "/" + name


def _file_info(path: str, st: os.stat_result) -> agent_pb2.FileInfo:
    return agent_pb2.FileInfo(
        path=path,
        size=st.st_size,
        is_dir=stat.S_ISDIR(st.st_mode),
        mtime=st.st_mtime,
        mode=st.st_mode,
    )


# Who may read a sandbox: (the call's context, the requested path) -> None, or FilesError.
# Identity and ACLs (`access_sandboxes`) are not there yet, so everyone may; the authorizer
# will be plugged in here, so that every List, Read and Follow asks it first.
Authorize = Callable[[grpc.aio.ServicerContext, str], None]


def allow_all(context: grpc.aio.ServicerContext, path: str) -> None:
    return None


class FilesServicer(agent_pb2_grpc.FilesServicer):
    """The gRPC face of SandboxFiles."""

    def __init__(self, files: SandboxFiles, authorize: Authorize = allow_all) -> None:
        self.files = files
        self.authorize = authorize

    async def List(  # noqa: N802 - gRPC method name
        self, request: agent_pb2.ListFilesRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.ListFilesResponse:
        try:
            _decoded(request)
            self.authorize(context, request.path)
            return agent_pb2.ListFilesResponse(files=self.files.list(request.path))
        except FilesError as e:
            await context.abort(e.code, str(e))
            raise  # Not reached: abort raises.
        except (OSError, ValueError) as e:
            await _internal(context, e)
            raise

    async def Read(  # noqa: N802
        self, request: agent_pb2.ReadFileRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.ReadFileResponse:
        try:
            _decoded(request)
            self.authorize(context, request.path)
            chunk = self.files.read(request.path, request.offset, request.length)
        except FilesError as e:
            await context.abort(e.code, str(e))
            raise
        except (OSError, ValueError) as e:
            await _internal(context, e)
            raise
        return agent_pb2.ReadFileResponse(data=chunk.data, offset=chunk.offset, size=chunk.size)

    async def Follow(  # noqa: N802
        self, request: agent_pb2.FollowFileRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[agent_pb2.ReadFileResponse]:
        try:
            _decoded(request)
            self.authorize(context, request.path)
            async for chunk in self.files.follow(request.path, request.offset):
                yield agent_pb2.ReadFileResponse(
                    data=chunk.data, offset=chunk.offset, size=chunk.size
                )
        except FilesError as e:
            await context.abort(e.code, str(e))
        except (OSError, ValueError) as e:
            await _internal(context, e)


def _decoded(request: object) -> None:
    from daemons.common.rpc import Undecodable

    if isinstance(request, Undecodable):
        raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, request.message)


async def _internal(context: grpc.aio.ServicerContext, e: Exception) -> None:
    log.exception("the Files API failed")
    await context.abort(
        grpc.StatusCode.INTERNAL, f"the agent could not serve this file ({e}); see its log"
    )


async def serve_files(files: SandboxFiles, ip: str, port: int) -> tuple[grpc.aio.Server, int]:
    """Start the Files API on ip:port; the server and the port it got (port 0: any)."""
    from daemons.common.rpc import add_lenient, server_options

    server = grpc.aio.server(options=server_options(1024 * 1024))
    add_lenient(agent_pb2_grpc.add_FilesServicer_to_server, FilesServicer(files), server)
    try:
        bound = server.add_insecure_port(f"{ip}:{port}")
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot listen on {ip}:{port} (in use, or not an address of this host)")
    await server.start()
    return server, bound
