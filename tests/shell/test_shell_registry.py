"""The command registry: parsing (flags, `--`, quoting), errors, help, unique prefixes."""

from __future__ import annotations

import pytest

from mesos_tui.shell.registry import (
    REGISTRY,
    Arg,
    CommandError,
    Flag,
    Registry,
    UsageError,
    resolve_unique,
    run,
    split_line,
)


def parse(line: str) -> dict:
    inv = REGISTRY.parse(line)
    assert inv is not None
    return {"cmd": inv.command.name, **inv.args}


def test_launch_flags_and_command_line_after_double_dash() -> None:
    a = parse("launch --name t1 --cpus 0.5 --mem=64 --count 3 --agent agent1 -- sleep 60")
    assert (a["cmd"], a["command"]) == ("launch", "sleep 60")
    assert (a["name"], a["cpus"], a["mem"], a["count"], a["agent"]) == ("t1", 0.5, 64.0, 3, "agent1")
    inv = REGISTRY.parse("launch --name t1 -- sleep 60")
    assert inv is not None and inv.args["command"] == "sleep 60"


def test_command_line_is_kept_exactly_as_typed() -> None:
    inv = REGISTRY.parse("""launch -- echo "a  b" | tr a-z A-Z; sleep 1 --name x""")
    assert inv is not None
    assert inv.args["command"] == 'echo "a  b" | tr a-z A-Z; sleep 1 --name x'
    assert inv.args["name"] is None
    # One quoted word is unwrapped (it was quoted to keep it together).
    inv = REGISTRY.parse("launch -- 'echo hi; sleep 9'")
    assert inv is not None and inv.args["command"] == "echo hi; sleep 9"
    # Without --, the first word that is not a flag starts the command line.
    inv = REGISTRY.parse("run --cpus 1 sleep 5")
    assert inv is not None and (inv.command.name, inv.args["command"], inv.args["cpus"]) == (
        "launch", "sleep 5", 1.0,
    )


def test_defaults() -> None:
    a = parse("launch -- true")
    assert (a["cpus"], a["mem"], a["disk"], a["count"], a["agent"]) == (0.1, 32.0, 0.0, 1, None)
    k = parse("kill t1")
    assert k["yes"] is False and k["target"] == ["t1"]


def test_quoting_groups_words_and_keeps_backslashes() -> None:
    words = [w.text for w in split_line(r"""tasks name:"a b" 'c d' \d+""")]
    assert words == ["tasks", "name:a b", "c d", r"\d+"]
    k = parse("kill -y name:^web- state:running")
    assert k["yes"] is True and k["target"] == ["name:^web-", "state:running"]
    k = parse("kill name:^web- -y")
    assert k["yes"] is True and k["target"] == ["name:^web-"]
    assert parse("tasks '-a'")["filter"] == ["-a"]  # quoted: not a flag


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bogus", "unknown command 'bogus'"),
        ("launch --cpu 1 -- x", "launch: unknown flag --cpu"),
        ("launch --cpus lots -- x", "launch: --cpus expects a number, got 'lots'"),
        ("launch --count 1.5 -- x", "--count expects a whole number"),
        ("launch --name", "launch: --name needs a value"),
        ("launch --name t1", "launch: give the command to run after --"),
        ("kill", "kill: missing TARGET"),
        ("kill -y=1 t", "kill: --yes takes no value"),
        ("logs a b", "logs: unexpected argument 'b'"),
        ("tasks 'oops", "unterminated ' quote"),
    ],
)
def test_bad_lines_are_one_line_usage_errors(line: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        REGISTRY.parse(line)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    assert e.value.code == 2


def test_empty_line_parses_to_nothing() -> None:
    assert REGISTRY.parse("   ") is None


async def test_run_never_raises_and_answers_results() -> None:
    r = await run("bogus")
    assert not r.ok and r.code == 2 and "unknown command" in r.text
    r = await run("help")
    assert r.ok and "launch" in r.text and "kill" in r.text
    r = await run("help kill")
    assert r.ok and r.text.startswith("usage: kill [-y] TARGET...")
    r = await run("help nope")
    assert not r.ok and "no command 'nope'" in r.text
    r = await run("quit")
    assert r.ok and r.quit
    r = await run("tasks")  # no cluster in this context
    assert not r.ok and r.text.startswith("tasks: no master")


async def test_a_crashing_command_is_an_error_line_not_a_traceback() -> None:
    reg = Registry()

    @reg.command("boom", help="fails", needs_cluster=False)
    async def boom(ctx, args):  # noqa: ANN001, ANN202
        raise RuntimeError("kaput")

    r = await reg.run("boom")
    assert not r.ok and r.text == "internal error: RuntimeError: kaput (see the log)"


async def test_registry_decorator_registers_name_aliases_flags_and_args() -> None:
    reg = Registry()
    seen = {}

    @reg.command("echo", aliases=("say",), help="print words",
                 flags=[Flag("-n", "--times", "int", "repeat", 1)],
                 args=[Arg("words", many=True)], needs_cluster=False)
    async def echo(ctx, args):  # noqa: ANN001, ANN202
        seen.update(args)
        for _ in range(args.times):
            ctx.print(" ".join(args.words))

    r = await reg.run("say -n 2 hello world")
    assert r.ok and r.text == "hello world\nhello world"
    assert seen == {"times": 2, "words": ["hello", "world"]}
    assert reg.names() == ["echo", "say"]
    with pytest.raises(ValueError, match="twice"):
        reg.command("say", help="again")(echo)


def test_unique_prefix_resolution() -> None:
    ids = ["web-1", "web-2", "db-1"]
    assert resolve_unique("db", ids) == "db-1"
    assert resolve_unique("web-1", ids) == "web-1"
    with pytest.raises(CommandError, match=r"task 'web' is ambiguous: it matches 2 \(web-1, web-2\)"):
        resolve_unique("web", ids)
    with pytest.raises(CommandError, match="no task 'x'"):
        resolve_unique("x", ids)
    # An exact id wins over being the prefix of another one.
    assert resolve_unique("web", ["web", "web-2"]) == "web"


async def test_an_argument_named_like_a_dict_method_is_the_argument() -> None:
    from mesos_tui.shell.registry import REGISTRY

    inv = REGISTRY.parse("filter state:running")
    assert inv is not None and inv.args.clear is False
    assert REGISTRY.parse("filter --clear").args.clear is True  # type: ignore[union-attr]
