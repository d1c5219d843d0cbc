"""The agent's Files API: list, read and follow files in the sandboxes, and nothing else.

`SandboxFiles` resolves a requested path against the sandbox root `<work_dir>/slaves`: a
relative path is taken from the root, an absolute one must already point inside it. Before
anything is opened the path is refused (PERMISSION_DENIED) if it holds a NUL byte or a `..`
component, and after every symlink is resolved the real path must still be inside the real
root, so links to `/`, to a parent or chains of links that lead out are refused too. Paths are
taken literally: `%2e%2e` is a file name, not `..`.

`FilesServicer` serves it over gRPC (`Files` in agent.proto). Read is bounded (1 MiB per call);
Follow streams bytes as they are appended, checking the file every 100 ms.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc

from daemons.proto import agent_pb2, agent_pb2_grpc

MAX_READ = 1024 * 1024
FOLLOW_POLL_SECONDS = 0.1


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

    def resolve(self, path: str) -> Path:
        """The real path of `path` inside the root; FilesError when outside or missing."""
        if "\0" in path:
            raise _denied(path.replace("\0", "\\0"), "the path holds a NUL byte")
        parts = path.replace("\\", "/").split("/")
        if ".." in parts:
            raise _denied(path, "'..' is not allowed in sandbox paths")
        if os.path.isabs(path):
            candidate = os.path.normpath(path)
            # `//etc` and friends: normpath keeps a leading `//`, which is still `/`.
            candidate = "/" + candidate.lstrip("/")
            if not _inside(candidate, str(self.root)) and not _inside(
                candidate, str(self.real_root)
            ):
                raise _denied(path, f"only files under {self.root} are served")
        else:
            candidate = os.path.join(self.root, path)
        real = os.path.realpath(candidate)
        if not _inside(real, str(self.real_root)):
            raise _denied(path, "it leads outside the sandboxes")
        if not os.path.lexists(real):
            raise _not_found(path)
        return Path(real)

    def list(self, path: str) -> list[agent_pb2.FileInfo]:
        real = self.resolve(path)
        try:
            st = os.stat(real)
        except FileNotFoundError:
            raise _not_found(path) from None
        if not stat.S_ISDIR(st.st_mode):
            return [_file_info(path, st)]
        out: list[agent_pb2.FileInfo] = []
        try:
            entries = sorted(os.scandir(real), key=lambda e: e.name)
        except FileNotFoundError:
            raise _not_found(path) from None
        except NotADirectoryError:
            raise _not_found(path) from None
        for entry in entries:
            shown = _join(path, entry.name)
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError:
                info = entry.stat(follow_symlinks=False)
            out.append(_file_info(shown, info))
        return out

    def open_file(self, path: str) -> tuple[Path, int]:
        """The real path of a regular file and its size; FilesError otherwise."""
        real = self.resolve(path)
        try:
            st = os.stat(real)
        except FileNotFoundError:
            raise _not_found(path) from None
        if stat.S_ISDIR(st.st_mode):
            raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, f"{path!r} is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, f"{path!r} is not a regular file")
        return real, st.st_size

    def read(self, path: str, offset: int = 0, length: int = 0) -> Chunk:
        """Up to `length` bytes (0: to the end; never more than 1 MiB) from `offset`.

        A negative offset counts from the end of the file.
        """
        if length < 0:
            raise FilesError(grpc.StatusCode.INVALID_ARGUMENT, "length must not be negative")
        real, _size = self.open_file(path)
        return _read_at(real, path, offset, length or MAX_READ)

    async def follow(self, path: str, offset: int = 0) -> AsyncIterator[Chunk]:
        """Bytes from `offset` on, and then as they are appended, until cancelled."""
        real, size = self.open_file(path)
        position = max(0, size + offset) if offset < 0 else offset
        first = True
        while True:
            try:
                chunk = _read_at(real, path, position, MAX_READ)
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


def _read_at(real: Path, path: str, offset: int, length: int) -> Chunk:
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _not_found(path) from None
    except OSError as e:
        raise FilesError(
            grpc.StatusCode.PERMISSION_DENIED, f"cannot open {path!r}: {e.strerror}"
        ) from None
    try:
        size = os.fstat(fd).st_size
        start = max(0, size + offset) if offset < 0 else min(offset, size)
        data = os.pread(fd, min(length, MAX_READ), start)
    finally:
        os.close(fd)
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


class FilesServicer(agent_pb2_grpc.FilesServicer):
    """The gRPC face of SandboxFiles."""

    def __init__(self, files: SandboxFiles) -> None:
        self.files = files

    async def List(  # noqa: N802 - gRPC method name
        self, request: agent_pb2.ListFilesRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.ListFilesResponse:
        try:
            return agent_pb2.ListFilesResponse(files=self.files.list(request.path))
        except FilesError as e:
            await context.abort(e.code, str(e))
            raise  # Not reached: abort raises.

    async def Read(  # noqa: N802
        self, request: agent_pb2.ReadFileRequest, context: grpc.aio.ServicerContext
    ) -> agent_pb2.ReadFileResponse:
        try:
            chunk = self.files.read(request.path, request.offset, request.length)
        except FilesError as e:
            await context.abort(e.code, str(e))
            raise
        return agent_pb2.ReadFileResponse(data=chunk.data, offset=chunk.offset, size=chunk.size)

    async def Follow(  # noqa: N802
        self, request: agent_pb2.FollowFileRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[agent_pb2.ReadFileResponse]:
        try:
            async for chunk in self.files.follow(request.path, request.offset):
                yield agent_pb2.ReadFileResponse(
                    data=chunk.data, offset=chunk.offset, size=chunk.size
                )
        except FilesError as e:
            await context.abort(e.code, str(e))


async def serve_files(files: SandboxFiles, ip: str, port: int) -> tuple[grpc.aio.Server, int]:
    """Start the Files API on ip:port; the server and the port it got (port 0: any)."""
    from daemons.common.rpc import server_options

    server = grpc.aio.server(options=server_options(1024 * 1024))
    agent_pb2_grpc.add_FilesServicer_to_server(FilesServicer(files), server)
    try:
        bound = server.add_insecure_port(f"{ip}:{port}")
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot listen on {ip}:{port} (in use, or not an address of this host)")
    await server.start()
    return server, bound
