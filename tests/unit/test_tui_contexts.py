"""The contexts file (`~/.config/mesos-tui/clusters.toml`): every value checked as it is
read, one line naming the place of what is wrong, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesos_tui.tui.contexts import ContextError, load_contexts


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clusters.toml"
    path.write_text(text)
    return path


def test_contexts_with_credentials(tmp_path: Path) -> None:
    secret = tmp_path / "prod.secret"
    secret.write_text("s3cret\n")
    path = write(tmp_path, f'''
default = "local"
[local]
master = "127.0.0.1:5050"
[prod]
master = "zk://zk1:2181,zk2:2181/mesos"
principal = "ops"
secret_file = "{secret}"
[lab]
master = "10.0.0.7:5050"
principal = "teacher"
secret = "inline"
''')
    contexts = load_contexts(path)
    assert contexts.default == "local"
    assert contexts.get("local").master == "127.0.0.1:5050"
    assert contexts.get("local").credentials() is None
    assert contexts.get("prod").master == "zk://zk1:2181,zk2:2181/mesos"
    assert contexts.get("prod").credentials() == ("ops", "s3cret")
    assert contexts.get("lab").credentials() == ("teacher", "inline")
    assert "inline" not in repr(contexts.get("lab"))


def test_no_file_is_no_contexts(tmp_path: Path) -> None:
    contexts = load_contexts(tmp_path / "none.toml")
    assert contexts.contexts == {}
    with pytest.raises(ContextError, match="no context 'x'"):
        contexts.get("x")


@pytest.mark.parametrize(("text", "error"), [
    ('[a]\nmaster = "http://x:5050"\n', r"\[a\]: bad master address"),
    ('[a]\nprincipal = "p"\nsecret = "s"\n', r"\[a\]: master is missing"),
    ('[a]\nmaster = "h:1"\nprincipal = "p"\n', "has no secret"),
    ('[a]\nmaster = "h:1"\nsecret = "s"\n', "a secret needs a principal"),
    ('[a]\nmaster = "h:1"\nprincipal = "p"\nsecret = "s"\nsecret_file = "f"\n',
     "both given"),
    ('[a]\nmaster = "h:1"\ncolour = "red"\n', "unknown key 'colour'"),
    ('["a b"]\nmaster = "h:1"\n', "letters, digits"),
    ('[a]\nmaster = 5050\n', "master must be a string"),
    ('default = "b"\n[a]\nmaster = "h:1"\n', "default 'b' is not one of"),
    ('[a\n', "not valid TOML"),
])
def test_a_bad_file_is_one_line_saying_where(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ContextError, match=error) as e:
        load_contexts(write(tmp_path, text))
    assert "\n" not in str(e.value)


def test_an_unreadable_secret_file_is_said_when_used(tmp_path: Path) -> None:
    path = write(tmp_path, '[a]\nmaster = "h:1"\nprincipal = "p"\nsecret_file = "/nonexistent/s"\n')
    ctx = load_contexts(path).get("a")
    with pytest.raises(ContextError, match="cannot read secret_file"):
        ctx.credentials()
