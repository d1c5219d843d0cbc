"""The pure parts of the agent's HTTP edge: how file bytes become `/files/read`'s JSON text,
Mesos's file model, and that routes given to `make_app` are served beside the agent's own
(the executor API mounts itself that way). The endpoints over a real agent are in
tests/integration/test_agent_http.py."""

from __future__ import annotations

import os
import stat
from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from daemons.agent.http import _header_filename, file_model, make_app, text_of


def test_text_of_utf8_is_unchanged() -> None:
    assert text_of("naïve ☃\n".encode()) == "naïve ☃\n"


def test_text_of_leaves_a_cut_character_for_the_next_read() -> None:
    data = "ab☃".encode()  # the snowman is three bytes
    assert text_of(data[:3]) == "ab"
    assert text_of(data[:4]) == "ab"
    assert text_of(data) == "ab☃"


def test_text_of_replaces_what_is_not_utf8() -> None:
    assert text_of(b"a\xffb") == "a\ufffdb"
    # Nothing but a lone lead byte: replaced, never an empty read that would loop forever.
    assert text_of(b"\xe2") == "\ufffd"


def test_file_model_has_mesos_fields(tmp_path) -> None:
    path = tmp_path / "stdout"
    path.write_bytes(b"12345")
    st = os.lstat(path)
    model = file_model("/sandbox/stdout", st)
    assert model["path"] == "/sandbox/stdout" and model["size"] == 5 and model["nlink"] == 1
    assert model["mode"] == stat.filemode(st.st_mode) and model["mode"].startswith("-")
    assert isinstance(model["uid"], str) and isinstance(model["gid"], str)
    assert model["mtime"] == int(st.st_mtime)


def test_header_filename_is_plain_ascii() -> None:
    assert _header_filename("stdout") == "stdout"
    assert _header_filename('a"b;c\\d\r\n') == "a_b_c_d__"
    assert _header_filename("naïve") == "na_ve"


async def test_routes_given_to_make_app_are_served_beside_the_agents() -> None:
    async def executor_api(request: web.Request) -> web.Response:
        return web.Response(status=202)

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom\nsecond line")

    agent = SimpleNamespace(http_routes=[web.get("/broken", broken)])
    app = make_app(agent, [web.post("/api/v1/executor", executor_api)])  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/api/v1/executor", data=b"{}")).status == 202
        # The agent's own endpoints are there too (405: a GET to the operator API).
        assert (await client.get("/api/v1")).status == 405
        assert (await client.get("/slave(1)/api/v1")).status == 405
        # A handler that raises is one line of 500 through the guard, never a traceback.
        r = await client.get("/broken")
        text = await r.text()
        assert r.status == 500 and "\n" not in text and "Traceback" not in text
        assert "RuntimeError" in text and "boom" not in text
