"""The Files API: confinement to the sandboxes, and list/read/follow inside them (over gRPC)."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from daemons.agent.files import MAX_READ, FilesError, SandboxFiles, serve_files
from daemons.proto import agent_pb2, agent_pb2_grpc

SANDBOX = "A-S0/frameworks/F/executors/t1/runs/c1"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A work dir with one sandbox, a secret next to the sandboxes, and some traps."""
    work = tmp_path / "work"
    sandbox = work / "slaves" / SANDBOX
    sandbox.mkdir(parents=True)
    (sandbox.parent / "latest").symlink_to("c1")
    (sandbox / "stdout").write_bytes(b"hello\nworld\n")
    (sandbox / "stderr").write_bytes(b"")
    (sandbox / "sub").mkdir()
    (sandbox / "sub" / "inner.txt").write_text("inner")
    (sandbox / "%2e%2e").mkdir()  # A directory literally named %2e%2e is fine.
    (work / "meta").mkdir()
    (work / "meta" / "secret").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside")
    # Traps: links that lead out of the sandboxes.
    (sandbox / "to_root").symlink_to("/")
    (sandbox / "to_parent").symlink_to(work)
    (sandbox / "to_passwd").symlink_to("/etc/passwd")
    (sandbox / "hop1").symlink_to("hop2")
    (sandbox / "hop2").symlink_to("hop3")
    (sandbox / "hop3").symlink_to(work / "meta")
    (sandbox / "inside_link").symlink_to("sub/inner.txt")
    return work


@pytest.fixture
def files(work: Path) -> SandboxFiles:
    return SandboxFiles(work / "slaves")


ESCAPES = [
    "..",
    "../meta/secret",
    "../../etc/passwd",
    f"{SANDBOX}/../../../../../../../meta/secret",
    f"{SANDBOX}/..",
    "/etc/passwd",
    "//etc",
    "//etc/passwd",
    "/",
    f"{SANDBOX}/to_root",
    f"{SANDBOX}/to_root/etc/passwd",
    f"{SANDBOX}/to_parent",
    f"{SANDBOX}/to_parent/meta/secret",
    f"{SANDBOX}/to_passwd",
    f"{SANDBOX}/hop1",
    f"{SANDBOX}/hop1/secret",
    f"{SANDBOX}/stdout\0",
    "\0/etc/passwd",
    "./../meta/secret",
    "A-S0/../../meta",
    "..\\..\\etc\\passwd",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_ways_out_are_refused(files: SandboxFiles, path: str) -> None:
    for operation in (files.list, files.read):
        with pytest.raises(FilesError) as caught:
            operation(path)
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED, path
        assert "denied" in str(caught.value)


def test_absolute_paths_outside_are_refused_even_next_door(files: SandboxFiles, work: Path) -> None:
    for path in (str(work / "meta" / "secret"), str(work / "slaves-other"), str(work)):
        with pytest.raises(FilesError) as caught:
            files.read(path)
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED


def test_url_encoding_is_taken_literally(files: SandboxFiles) -> None:
    for path in ("%2e%2e/meta/secret", "%2e%2e%2fmeta", f"{SANDBOX}/%2e%2e/%2e%2e/secret"):
        with pytest.raises(FilesError) as caught:
            files.read(path)
        assert caught.value.code == grpc.StatusCode.NOT_FOUND
    # And a file named that way inside a sandbox is just a name.
    assert files.list(f"{SANDBOX}/%2e%2e") == []


ENCODED_TRICKS = [
    "%252e%252e/meta/secret",  # Double-encoded.
    "..%2fmeta%2fsecret",
    "%2e%2e%5cmeta%5csecret",
    "\uff0e\uff0e/meta/secret",  # Fullwidth full stops.
    "\u2025/meta/secret",  # Two dot leader.
    "\u2024\u2024/meta/secret",  # One dot leaders.
    f"{SANDBOX}/\u2025/\u2025/\u2025/meta/secret",
    ".../meta/secret",
    "..;/meta/secret",
    "%00/etc/passwd",
    "\u002e\u002e\u2215meta",  # Division slash, not a slash.
]


@pytest.mark.parametrize("path", ENCODED_TRICKS)
def test_encoded_and_look_alike_tricks_find_nothing(files: SandboxFiles, path: str) -> None:
    for operation in (files.list, files.read):
        with pytest.raises(FilesError) as caught:
            operation(path)
        assert caught.value.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize(
    "path",
    [
        f"{SANDBOX}//..//..//..//..//..//..//..//meta/secret",
        f"//{SANDBOX}/../../../../../../../meta/secret",
        f"{SANDBOX}/./././../../../../../../../meta/secret",
        f"{SANDBOX}/sub/../../../../../../../../meta",
    ],
)
def test_double_slashes_and_dots_are_refused(files: SandboxFiles, path: str) -> None:
    with pytest.raises(FilesError) as caught:
        files.read(path)
    assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED


def test_double_slashes_inside_are_fine(files: SandboxFiles) -> None:
    assert files.read(f"{SANDBOX}//stdout").data == b"hello\nworld\n"


def test_missing_file_is_not_found(files: SandboxFiles) -> None:
    with pytest.raises(FilesError) as caught:
        files.read(f"{SANDBOX}/nope")
    assert caught.value.code == grpc.StatusCode.NOT_FOUND


def test_list_reads_inside(files: SandboxFiles, work: Path) -> None:
    listing = {f.path: f for f in files.list(f"{SANDBOX.rsplit('/', 1)[0]}/latest")}
    prefix = f"{SANDBOX.rsplit('/', 1)[0]}/latest/"
    assert prefix + "stdout" in listing
    assert listing[prefix + "stdout"].size == 12
    assert listing[prefix + "sub"].is_dir
    assert not listing[prefix + "stdout"].is_dir
    # Absolute paths inside work too, and keep their spelling.
    absolute = str(work / "slaves" / SANDBOX)
    assert {f.path for f in files.list(absolute)} >= {absolute + "/stdout", absolute + "/sub"}
    assert [f.path for f in files.list("")] == ["A-S0"]
    assert files.read(f"{SANDBOX}/inside_link").data == b"inner"


def test_read_offsets_and_lengths(files: SandboxFiles) -> None:
    path = f"{SANDBOX}/stdout"
    whole = files.read(path)
    assert (whole.data, whole.offset, whole.size) == (b"hello\nworld\n", 0, 12)
    assert files.read(path, 6, 3).data == b"wor"
    tail = files.read(path, -6)
    assert (tail.data, tail.offset) == (b"world\n", 6)
    assert files.read(path, -100).offset == 0
    beyond = files.read(path, 100)
    assert (beyond.data, beyond.offset, beyond.size) == (b"", 12, 12)
    with pytest.raises(FilesError) as caught:
        files.read(path, 0, -1)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(FilesError) as caught:
        files.read(SANDBOX)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_read_is_capped(files: SandboxFiles, work: Path) -> None:
    (work / "slaves" / SANDBOX / "big").write_bytes(b"x" * (MAX_READ * 2 + 5))
    chunk = files.read(f"{SANDBOX}/big", 0, 0)
    assert len(chunk.data) == MAX_READ
    assert chunk.size == MAX_READ * 2 + 5


# ------------------------------------------------------------------------------------ gRPC


@pytest.fixture
async def stub(files: SandboxFiles) -> AsyncIterator[agent_pb2_grpc.FilesStub]:
    server, port = await serve_files(files, "127.0.0.1", 0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield agent_pb2_grpc.FilesStub(channel)
    finally:
        await channel.close()
        await server.stop(None)


async def test_grpc_errors_carry_status_codes(stub: agent_pb2_grpc.FilesStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Read(agent_pb2.ReadFileRequest(path="../../etc/passwd"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "'..' is not allowed" in (caught.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.List(agent_pb2.ListFilesRequest(path="/etc"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Read(agent_pb2.ReadFileRequest(path=f"{SANDBOX}/missing"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    follow = stub.Follow(agent_pb2.FollowFileRequest(path=f"{SANDBOX}/to_root/etc/passwd"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await follow.read()
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_grpc_list_and_read(stub: agent_pb2_grpc.FilesStub) -> None:
    listing = await stub.List(agent_pb2.ListFilesRequest(path=SANDBOX))
    assert f"{SANDBOX}/stdout" in [f.path for f in listing.files]
    read = await stub.Read(agent_pb2.ReadFileRequest(path=f"{SANDBOX}/stdout", offset=-6))
    assert (read.data, read.offset, read.size) == (b"world\n", 6, 12)


async def test_follow_streams_appended_bytes(stub: agent_pb2_grpc.FilesStub, work: Path) -> None:
    path = work / "slaves" / SANDBOX / "stdout"
    call = stub.Follow(agent_pb2.FollowFileRequest(path=f"{SANDBOX}/stdout", offset=-6))
    first = await asyncio.wait_for(call.read(), 5)
    assert (first.data, first.offset) == (b"world\n", 6)
    received = b""
    with open(path, "ab") as out:
        for piece in (b"one\n", b"two\n", b"three\n"):
            out.write(piece)
            out.flush()
            expected = received + piece
            while received != expected:
                chunk = await asyncio.wait_for(call.read(), 5)
                assert chunk.offset == 12 + len(received)
                received += chunk.data
    assert received == b"one\ntwo\nthree\n"
    call.cancel()


async def test_follow_an_empty_file_reports_its_size_first(
    stub: agent_pb2_grpc.FilesStub, work: Path
) -> None:
    call = stub.Follow(agent_pb2.FollowFileRequest(path=f"{SANDBOX}/stderr"))
    first = await asyncio.wait_for(call.read(), 5)
    assert (first.data, first.size) == (b"", 0)
    with open(work / "slaves" / SANDBOX / "stderr", "ab") as out:
        out.write(b"late\n")
    chunk = await asyncio.wait_for(call.read(), 5)
    assert chunk.data == b"late\n"
    call.cancel()


def test_root_symlinked_work_dir_still_works(tmp_path: Path, work: Path) -> None:
    link = tmp_path / "worklink"
    os.symlink(work, link)
    files = SandboxFiles(link / "slaves")
    assert files.read(f"{SANDBOX}/stdout").data == b"hello\nworld\n"
    assert files.read(str(link / "slaves" / SANDBOX / "stdout")).size == 12
    with pytest.raises(FilesError):
        files.read(str(link / "meta" / "secret"))


# ------------------------------------------------------------------ hard links, races, links


def test_a_hard_link_to_a_file_of_another_user_is_refused(files: SandboxFiles, work: Path) -> None:
    """A task that links /etc/shadow (or any file not its own) into its sandbox cannot read it
    through the agent. The sandbox belongs to nobody here, as under --switch_user."""
    sandbox = work / "slaves" / SANDBOX
    secret = work / "meta" / "secret"  # root's, like /etc/shadow
    os.chown(sandbox, 65534, 65534)
    os.link(secret, sandbox / "shadow")
    for operation in (files.read, lambda p: files.read(p, 0, 10)):
        with pytest.raises(FilesError) as caught:
            operation(f"{SANDBOX}/shadow")
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert "hard link" in str(caught.value)
    # Listing shows it is there (as the sandbox's own data would be) but never its content.
    assert f"{SANDBOX}/shadow" in {f.path for f in files.list(SANDBOX)}
    # A hard link between the task's own files is the task's business.
    mine = sandbox / "mine.txt"
    mine.write_text("mine")
    os.chown(mine, 65534, 65534)
    os.link(mine, sandbox / "mine-again.txt")
    assert files.read(f"{SANDBOX}/mine-again.txt").data == b"mine"
    # Root's files with other links are refused even in a root-owned sandbox.
    os.chown(sandbox, 0, 0)
    with pytest.raises(FilesError):
        files.read(f"{SANDBOX}/shadow")


def test_list_shows_symlinks_themselves_never_their_targets(files: SandboxFiles) -> None:
    listing = {f.path.rsplit("/", 1)[1]: f for f in files.list(SANDBOX)}
    for name in ("to_passwd", "to_root", "to_parent", "hop1", "inside_link"):
        info = listing[name]
        assert stat.S_ISLNK(info.mode), name
        assert not info.is_dir, name
        assert info.size == len(os.readlink(files.root / SANDBOX / name)), name
    passwd = os.stat("/etc/passwd")
    assert listing["to_passwd"].size != passwd.st_size or listing["to_passwd"].mode != passwd.st_mode


def test_a_directory_swapped_for_a_symlink_while_reading_never_leaks(
    files: SandboxFiles, work: Path
) -> None:
    """The race of check-then-open: a thread swaps `sub` (a directory holding `inner.txt`)
    for a symlink to a directory outside holding a file of the same name, as fast as it can,
    while reads go on. Every read answers the sandbox's file or an error, never the outside's."""
    sandbox = work / "slaves" / SANDBOX
    outside = work / "meta" / "swap"
    outside.mkdir()
    (outside / "inner.txt").write_text("LEAKED")
    real, link, parked = sandbox / "sub", sandbox / "sub-link", sandbox / "sub-real"
    link.symlink_to(outside)
    stop = threading.Event()

    def swapper() -> None:
        while not stop.is_set():
            os.rename(real, parked)
            os.rename(link, real)  # `sub` is now the symlink to the outside
            os.rename(real, link)
            os.rename(parked, real)

    thread = threading.Thread(target=swapper)
    thread.start()
    reads = leaks = answered = 0
    deadline = time.monotonic() + 3.0
    try:
        while time.monotonic() < deadline:
            reads += 1
            try:
                data = files.read(f"{SANDBOX}/sub/inner.txt").data
            except FilesError:
                continue
            answered += 1
            if data != b"inner":
                leaks += 1
    finally:
        stop.set()
        thread.join()
    assert reads > 1000
    assert answered > 0
    assert leaks == 0, f"{leaks} of {reads} reads leaked the outside file"
