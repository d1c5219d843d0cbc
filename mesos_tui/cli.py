"""`mesos-tui`: the terminal UI, and the entry to its siblings.

    mesos-tui [--master host:port | zk://host:port/path]   the TUI (default 127.0.0.1:5050,
                                                           or $MESOS_MASTER); --principal with
                                                           --secret_file when the master asks
                                                           for credentials
    mesos-tui --context NAME                               the TUI on a cluster of
                                                           ~/.config/mesos-tui/clusters.toml
    mesos-tui --readonly                                   no kill, launch or pause
    mesos-tui shell [...]                                  the shell (mesos_tui.shell.repl)
    mesos-tui up [...]                                     a local cluster (mesos_tui.local)
    mesos-tui replay FILE [--speed X]                      play a recording back
    mesos-tui --record FILE                                the TUI, recording what it sees

`--master host:port` talks gRPC to a mesos-tui master; `http[s]://host:port` and
`zk://hosts/path` talk Mesos's v1 operator HTTP API, so any Mesos master can be watched.

A first word that is not a flag must be one of the commands: anything else is "unknown
command", with the list. A malformed --master is one line and exit status 2 (daemons.common
.detector checks it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from daemons.common.flags import BOOL, BYTES, STR, FlagSet, _typed


def _operator_master(text: str) -> str:
    """--master, checked by client.sources (imported only when a value is given: it loads
    yarl, which `mesos-tui --help` does not need)."""
    from mesos_tui.client.sources import check_operator_master

    return check_operator_master(text)


OPERATOR_MASTER = _typed("a master address", _operator_master)

SUBCOMMANDS = {
    "shell": ("mesos_tui.shell.repl", "the shell: launch, kill, list and filter tasks "
              "(-c CMD runs one command)"),
    "up": ("mesos_tui.local", "start a local cluster (one master, N agents) and open the TUI on it"),
    "replay": ("mesos_tui.replay_cli", "play a recording (--record) back in the TUI, without "
               "a cluster"),
}


def _subcommand(name: str, argv: list[str]) -> int:
    module_name, _what = SUBCOMMANDS[name]
    try:
        module = importlib.import_module(module_name)
        entry = module.main
    except (ImportError, AttributeError):
        sys.stderr.write(f"mesos-tui {name}: not available in this build\n")
        return 2
    result = entry(argv)
    return int(result or 0)


def _commands_text() -> str:
    width = max(len(n) for n in SUBCOMMANDS)
    lines = [f"  {name:<{width}}  {what}" for name, (_m, what) in SUBCOMMANDS.items()]
    return "commands:\n" + "\n".join(lines) + (
        "\n\nWith no command, mesos-tui opens the TUI on the master. "
        "`mesos-tui COMMAND --help` tells more.\n\n"
        "TLS, as for Mesos's own clients: LIBPROCESS_SSL_ENABLED=true and "
        "LIBPROCESS_SSL_CA_FILE=ca.pem\n(and LIBPROCESS_SSL_CERT_FILE, _KEY_FILE where the "
        "master requires a client certificate)."
    )


def flags() -> FlagSet:
    fs = FlagSet("mesos-tui", "The Mesos cluster in your terminal: agents, frameworks, tasks,\n"
                 "offers, events and task logs, following the leading master.")
    fs.parser.usage = ("mesos-tui [--master MASTER | --context NAME] [--readonly] "
                       "[--record FILE] [--log_file FILE] [--principal P --secret_file FILE]\n"
                       "       mesos-tui {shell,up,replay} ...")
    fs.parser.epilog = _commands_text()
    fs.parser.formatter_class = argparse.RawDescriptionHelpFormatter
    fs.add("master", OPERATOR_MASTER, default=None,
           help="the master: host:port (gRPC, a mesos-tui master), or http[s]://host:port or "
           "zk://host:port[,host:port]/path (Mesos's operator HTTP API: any Mesos master); "
           "default: the contexts file's default context, else 127.0.0.1:5050")
    fs.add("context", STR, default="",
           help="a cluster by name from ~/.config/mesos-tui/clusters.toml "
           "($MESOS_TUI_CLUSTERS): its master and credentials; :ctx NAME switches later")
    fs.add("readonly", BOOL, default=False,
           help="look, don't touch: no kill, launch, start or allocator pause/step keys or "
           "commands (they say read-only); the footer says READ-ONLY")
    fs.add("record", STR, default="",
           help="write the operator stream to FILE as it comes (JSON lines; play it back "
           "with `mesos-tui replay FILE`)")
    fs.add("record_max_bytes", BYTES, default=0,
           help="the recording stops (saying so) at this size (default: 256MB)")
    fs.add("extensions", BOOL, default=True,
           help="over HTTP, ask the master for mesos-tui's own events (offers, usage, "
           "allocation); --no-extensions shows what an Apache Mesos master streams")
    fs.add("log_file", STR, default="",
           help="where to write the TUI's own log (tracebacks go here, never on screen)")
    add_credential_flags(fs)
    return fs


def add_credential_flags(fs: FlagSet) -> None:
    """--principal, --secret, --secret_file (and $MESOS_PRINCIPAL, $MESOS_SECRET,
    $MESOS_SECRET_FILE): what the TUI and the shell authenticate as."""
    fs.add("principal", STR, default="", help="the principal to authenticate as, when the "
           "master asks for credentials")
    fs.add("secret", STR, default="", help="its secret (visible to `ps`: prefer --secret_file "
           "or $MESOS_SECRET)")
    fs.add("secret_file", STR, default="", help="a file whose first line is the secret")


def set_credential(fs: FlagSet, ns: argparse.Namespace) -> None:
    """Make the credential the flags give this process's default (identity.py); a bad one
    ends the program with one line."""
    from daemons.common.auth import AuthConfigError, client_credential
    from mesos_tui.client import identity

    try:
        identity.set_default(client_credential(ns.principal, ns.secret, ns.secret_file))
    except AuthConfigError as e:
        fs.parser.error(str(e))
def tls_settings_error(prog: str) -> int | None:
    """Exit status 2, after one line, when this client's LIBPROCESS_SSL_* settings cannot work
    (a bad boolean, a CA file that is not there): said before dialing, not as a failed call."""
    from daemons.common import tls

    try:
        tls.check(tls.current(), server=False)
    except tls.TlsError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return 2
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not (args and args[0] == "up"):  # `up` makes its own TLS settings
        bad = tls_settings_error("mesos-tui" + (f" {args[0]}" if args and args[0] in SUBCOMMANDS else ""))
        if bad is not None:
            return bad
    if args and args[0] in SUBCOMMANDS:
        return _subcommand(args[0], args[1:])
    if args and not args[0].startswith("-"):
        sys.stderr.write(
            f"mesos-tui: unknown command {args[0]!r} (commands: {', '.join(SUBCOMMANDS)}; "
            "with none, the TUI; see --help)\n"
        )
        return 2
    fs = flags()
    ns = fs.parse(args)
    set_credential(fs, ns)
    from mesos_tui.tui.contexts import ContextError, load_contexts

    master, context = ns.master, None
    if ns.context and ns.master:
        sys.stderr.write("mesos-tui: give --master or --context, not both\n")
        return 2
    try:
        if ns.context or not ns.master:
            contexts = load_contexts()
            name = ns.context or contexts.default
            if name:
                context = contexts.get(name)
                context.credentials()  # a secret_file that cannot be read: say so now
    except ContextError as e:
        sys.stderr.write(f"mesos-tui: {e}\n")
        return 2
    if context is None and not master:
        master = "127.0.0.1:5050"
    log_file = ns.log_file or os.path.join(
        os.environ.get("XDG_STATE_HOME", os.path.expanduser("~/.local/state")),
        "mesos-tui", "tui.log")
    import logging

    try:
        os.makedirs(os.path.dirname(log_file), exist_ok=True)
        logging.basicConfig(filename=log_file, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    except OSError:
        logging.basicConfig(level=logging.CRITICAL)

    recorder = None
    if ns.record:
        from mesos_tui.client.recording import DEFAULT_MAX_BYTES, Recorder, RecordingError

        recorder = Recorder(ns.record, master or (context.master if context else ""),
                            max_bytes=ns.record_max_bytes or DEFAULT_MAX_BYTES)
        try:
            recorder.open()
        except RecordingError as e:
            sys.stderr.write(f"mesos-tui: {e}\n")
            return 2
    from mesos_tui.tui.app import run_tui

    try:
        return run_tui(master, readonly=bool(ns.readonly), context=context, record=recorder,
                       extensions=ns.extensions)
    finally:
        if recorder is not None:
            recorder.close("quit")
            sys.stderr.write(f"Recorded {recorder.events} events to {recorder.path}"
                             + (f" (stopped: {recorder.stopped})" if recorder.stopped
                                not in (None, "quit") else "") + "\n")


if __name__ == "__main__":
    sys.exit(main())
