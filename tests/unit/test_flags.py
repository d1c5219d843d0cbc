"""Flags the Mesos way: underscore and dashed names, MESOS_* variables, one-line errors."""

import subprocess
import sys

import pytest

from daemons.common import flags as F
from daemons.common.durations import format_duration, parse_duration
from daemons.common.resources import Resources


def make() -> F.FlagSet:
    fs = F.FlagSet("prog", "test")
    fs.add("work_dir", F.STR, "", "dir")
    fs.add("port", F.PORT, 5050, "port")
    fs.add("allocation_interval", F.DURATION, 1.0, "interval")
    fs.add("resources", F.RESOURCES, None, "resources")
    fs.add("checkpoint", F.BOOL, False, "bool")
    return fs


def test_underscore_and_dashed_spellings() -> None:
    ns = make().parse(["--work_dir", "/a", "--allocation-interval=250ms"], env={})
    assert ns.work_dir == "/a"
    assert ns.allocation_interval == pytest.approx(0.25)
    ns = make().parse(["--work-dir=/b"], env={})
    assert ns.work_dir == "/b"


def test_environment_variables_are_defaults_and_flags_win() -> None:
    env = {"MESOS_WORK_DIR": "/env", "MESOS_PORT": "6000"}
    ns = make().parse([], env=env)
    assert (ns.work_dir, ns.port) == ("/env", 6000)
    ns = make().parse(["--port", "7000"], env=env)
    assert ns.port == 7000


def test_booleans() -> None:
    assert make().parse(["--checkpoint"], env={}).checkpoint is True
    assert make().parse(["--checkpoint=false"], env={}).checkpoint is False
    assert make().parse(["--no-checkpoint"], env={}).checkpoint is False


def test_resources_flag_parses_mesos_syntax() -> None:
    ns = make().parse(["--resources", "cpus:2;mem:1024;ports:[31000-32000]"], env={})
    assert ns.resources == Resources.parse("cpus:2;mem:1024;ports:[31000-32000]")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--port", "http"], "'http' is not an integer"),
        (["--port", "70000"], "not a port"),
        (["--allocation_interval", "soon"], "bad duration 'soon'"),
        (["--resources", "cpus:two"], "bad value in 'cpus:two'"),
        (["--bogus"], "unknown flag: --bogus"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(argv, expected, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        make().parse(argv, env={})
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1


def test_bad_environment_value_names_the_variable(capsys) -> None:
    with pytest.raises(SystemExit):
        make().parse([], env={"MESOS_PORT": "x"})
    assert "$MESOS_PORT" in capsys.readouterr().err


def test_master_console_entry_rejects_a_bad_flag_with_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "daemons.master.main", "--allocation_interval", "fast"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "allocation_interval" in proc.stderr and "bad duration" in proc.stderr


@pytest.mark.parametrize(
    "text, seconds",
    [("5secs", 5), ("100ms", 0.1), ("1mins", 60), ("2hrs", 7200), ("1weeks", 604800),
     ("3", 3), ("0.5", 0.5), ("1days", 86400), ("10us", 1e-5)],
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "fast", "5 parsecs", "-1secs", "nan"])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for s in (0.25, 5, 60, 7200, 604800, 1.5):
        assert parse_duration(format_duration(s)) == pytest.approx(s)
