"""`mesos-tui shell --master http://...` pointed at something that is not a Mesos master (a
plain web server) or at nothing says so in one line and gives up at once or after its
--connect_timeout, never a traceback."""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster import free_port
from tests.integration.test_cli_errors import BOUND, PY, REPO, environ, one_line


@pytest.fixture
def web_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def shell(tmp_path: Path, master: str, timeout: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "mesos_tui.cli", "shell", "--master", master, "-c", "tasks",
         "--connect_timeout", timeout],
        capture_output=True, text=True, timeout=BOUND, cwd=REPO, env=environ(tmp_path),
    )


def test_a_web_server_is_not_a_master(tmp_path: Path, web_server: int) -> None:
    started = time.monotonic()
    result = shell(tmp_path, f"http://127.0.0.1:{web_server}", "60")
    assert result.returncode == 1
    line = one_line(result)
    assert "answered 501" in line and "not a Mesos master's operator API" in line, line
    assert time.monotonic() - started < BOUND  # at once, not after --connect_timeout


def test_nothing_listening_over_http(tmp_path: Path) -> None:
    port = free_port()
    result = shell(tmp_path, f"http://127.0.0.1:{port}", "2")
    assert result.returncode == 1
    line = one_line(result)
    assert f"cannot connect to 127.0.0.1:{port}" in line and "gave up after 2s" in line, line


def test_record_never_overwrites_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a teacher's notes\n")
    result = subprocess.run(
        [PY, "-m", "mesos_tui.cli", "--master", "127.0.0.1:5050", "--record", str(notes)],
        capture_output=True, text=True, timeout=BOUND, cwd=REPO, env=environ(tmp_path),
    )
    assert result.returncode == 2
    line = one_line(result)
    assert "is not a mesos-tui recording" in line and "nothing was overwritten" in line, line
    assert notes.read_text() == "a teacher's notes\n"
