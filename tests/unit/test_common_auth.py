"""daemons/common/auth.py: credentials files, HTTP Basic, and Mesos's ACL semantics."""

from __future__ import annotations

import json

import pytest

from daemons.common import auth
from daemons.common.auth import Acls, AuthConfigError, BadAuthorization, Credential


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --------------------------------------------------------------------------- credentials


def test_credentials_json_file(tmp_path) -> None:
    path = write(tmp_path, "creds", json.dumps({"credentials": [
        {"principal": "alice", "secret": "s1"}, {"principal": "bob", "secret": "s2"}]}))
    a = auth.load_credentials(path)
    assert a.check("alice", "s1") and a.check("bob", "s2")
    assert not a.check("alice", "s2")
    assert not a.check("alice", "s1x") and not a.check("alice", "")
    assert not a.check("carol", "s1")
    assert auth.load_credentials("file://" + path).check("alice", "s1")


def test_credentials_text_file(tmp_path) -> None:
    path = write(tmp_path, "creds", "# comment\nalice s1\n\nbob  two words\n")
    a = auth.load_credentials(path)
    assert a.check("alice", "s1")
    assert a.check("bob", "two words")


@pytest.mark.parametrize(
    "text, says",
    [
        ('{"credentials": [{"principal": "a"}]}', "'secret' must be"),
        ('{"credentials": [{"principal": "", "secret": "x"}]}', "'principal' must be"),
        ('{"credentials": [{"principal": "a", "secret": "x", "extra": 1}]}', "unknown field 'extra'"),
        ('{"creds": []}', '{"credentials"'),
        ('{"credentials": [', "invalid JSON"),
        ("alice\n", "line 1: expected 'principal secret'"),
        ("alice x\nalice y\n", "listed twice"),
        ("", "holds no credentials"),
    ],
)
def test_bad_credentials_file_is_one_clear_error(tmp_path, text: str, says: str) -> None:
    path = write(tmp_path, "creds", text)
    with pytest.raises(AuthConfigError) as e:
        auth.load_credentials(path)
    assert says in str(e.value)
    assert path in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_credentials_file(tmp_path) -> None:
    with pytest.raises(AuthConfigError, match="cannot read it"):
        auth.load_credentials(str(tmp_path / "nope"))


def test_error_never_shows_a_secret(tmp_path) -> None:
    path = write(tmp_path, "creds", '{"credentials": [{"principal": "a b", "secret": "hunter2"}]}')
    with pytest.raises(AuthConfigError) as e:
        auth.load_credentials(path)
    assert "hunter2" not in str(e.value)
    assert "hunter2" not in repr(Credential("a", "hunter2"))


def test_single_credential_forms(tmp_path) -> None:
    assert auth.load_credential('{"principal": "agent", "secret": "s"}') == Credential("agent", "s")
    path = write(tmp_path, "cred", '{"principal": "agent", "secret": "s"}')
    assert auth.load_credential(path) == Credential("agent", "s")
    path = write(tmp_path, "cred2", "agent s\n")
    assert auth.load_credential("file://" + path) == Credential("agent", "s")
    path = write(tmp_path, "cred3", "a s\nb t\n")
    with pytest.raises(AuthConfigError, match="exactly one credential"):
        auth.load_credential(path)


# ---------------------------------------------------------------------------- HTTP Basic


def test_basic_round_trip() -> None:
    header = auth.basic_header("alice", "p:a:ss word")
    assert header.startswith("Basic ")
    assert auth.parse_basic(header) == ("alice", "p:a:ss word")
    assert auth.parse_basic("basic " + header.split()[1]) == ("alice", "p:a:ss word")


@pytest.mark.parametrize(
    "value",
    ["Bearer abc", "Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic " + "OnNlY3JldA==", "Basic //79"],
)
def test_bad_basic_header(value: str) -> None:
    # no colon ("nocolon"), empty principal (":secret"), not UTF-8
    with pytest.raises(BadAuthorization):
        auth.parse_basic(value)


def test_loopback() -> None:
    assert auth.is_loopback("ipv4:127.0.0.1:5050")
    assert auth.is_loopback("ipv6:[::1]:5050")
    assert not auth.is_loopback("ipv4:10.0.0.1:5050")
    assert not auth.is_loopback("")


# ---------------------------------------------------------------------------------- ACLs


def test_permissive_default_and_empty() -> None:
    assert Acls().allows("run_tasks", "anyone", "root")
    assert not Acls(permissive=False).allows("run_tasks", "anyone", "root")


def test_mesos_example_register_frameworks() -> None:
    # authorization.md: only foo may register with role analytics; anyone else with others.
    acls = Acls.parse({"register_frameworks": [
        {"principals": {"values": ["foo"]}, "roles": {"values": ["analytics"]}},
        {"principals": {"type": "NONE"}, "roles": {"values": ["analytics"]}},
    ]})
    assert acls.allows("register_frameworks", "foo", "analytics")
    assert not acls.allows("register_frameworks", "bar", "analytics")
    assert not acls.allows("register_frameworks", None, "analytics")
    assert acls.allows("register_frameworks", "bar", "other")


def test_first_matching_rule_decides() -> None:
    allow_then_deny = Acls.parse({"run_tasks": [
        {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "users": {"type": "NONE"}},
    ], "permissive": True})
    assert allow_then_deny.allows("run_tasks", "ops", "root")
    assert not allow_then_deny.allows("run_tasks", "dev", "root")
    # An unauthenticated caller (subject ANY) matches only ANY/NONE principals.
    assert not allow_then_deny.allows("run_tasks", None, "nobody")


def test_non_permissive_needs_a_rule() -> None:
    acls = Acls.parse({"permissive": False, "run_tasks": [
        {"principals": {"values": ["a", "b"]}, "users": {"values": ["nobody"]}},
    ]})
    assert acls.allows("run_tasks", "a", "nobody")
    assert not acls.allows("run_tasks", "a", "root")
    assert not acls.allows("run_tasks", "c", "nobody")
    assert not acls.allows("teardown_frameworks", "a", "a")


def test_any_object_request() -> None:
    # Asking about "any object" (None) is allowed only by a rule for ANY objects.
    acls = Acls.parse({"permissive": False, "view_frameworks": [
        {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
        {"principals": {"values": ["dev"]}, "users": {"values": ["dev"]}},
    ]})
    assert acls.allows("view_frameworks", "ops", None)
    assert not acls.allows("view_frameworks", "dev", None)
    assert acls.allows("view_frameworks", "dev", "dev")


def test_mesos_only_actions_accepted_and_unknown_refused() -> None:
    acls = Acls.parse({"reserve_resources": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}]})
    assert acls.allows("run_tasks", "x", "y")
    with pytest.raises(AuthConfigError, match="unknown ACL 'run_task'"):
        Acls.parse({"run_task": []})


@pytest.mark.parametrize(
    "obj, says",
    [
        ({"run_tasks": {}}, "must be a list"),
        ({"run_tasks": [{"principals": {"type": "ANY"}}]}, "missing 'users'"),
        ({"run_tasks": [{"principals": {"type": "ALL"}, "users": {"type": "ANY"}}]}, "type must be ANY or NONE"),
        ({"run_tasks": [{"principals": {"values": "a"}, "users": {"type": "ANY"}}]}, "list of strings"),
        ({"run_tasks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}]}, "unknown field 'roles'"),
        ({"permissive": "no"}, "true or false"),
        ([], "JSON object"),
    ],
)
def test_bad_acls(obj: object, says: str) -> None:
    with pytest.raises(AuthConfigError, match=says):
        Acls.parse(obj)


def test_acls_flag_forms(tmp_path) -> None:
    text = '{"permissive": false, "kill_tasks": [{"principals": {"type": "ANY"}, "framework_principals": {"type": "ANY"}}]}'
    for value in (text, write(tmp_path, "acls", text), "file://" + str(tmp_path / "acls")):
        acls = Acls.load(value)
        assert not acls.permissive and acls.allows("kill_tasks", "x", "y")
    with pytest.raises(AuthConfigError, match="invalid JSON"):
        Acls.load(write(tmp_path, "bad", "{not json"))


def test_denial_names_principal_and_action() -> None:
    text = auth.denial("run_tasks", "alice", "root")
    assert "'alice'" in text and "run tasks" in text and "'root'" in text
    assert "unauthenticated" in auth.denial("view_tasks", None)


# ------------------------------------------------------- the master's front door (calls.py)


def _master(**settings: object):  # noqa: ANN202
    """What calls.authenticate reads of a master: its config's AuthSettings."""
    from types import SimpleNamespace

    authenticator = auth.Authenticator([Credential("alice", "s1")])
    return SimpleNamespace(config=SimpleNamespace(
        auth=auth.AuthSettings(authenticator=authenticator, **settings)))  # type: ignore[arg-type]


def _caller(peer: str, header: str | None, tls: bool = False):  # noqa: ANN202
    from daemons.master.calls import Caller

    return Caller.from_authorization("grpc", peer, header, tls)


def test_front_door_plaintext_only_from_loopback_with_the_flag() -> None:
    from daemons.master.calls import authenticate
    from daemons.master.master import CallError

    good = auth.basic_header("alice", "s1")
    loose = _master(allow_plaintext_credentials_on_loopback=True)
    strict = _master()
    assert authenticate(loose, _caller("ipv4:127.0.0.1:4000", good), True, "x") == "alice"
    for master, peer in ((loose, "ipv4:10.1.2.3:4000"), (strict, "ipv4:127.0.0.1:4000")):
        with pytest.raises(CallError) as e:
            authenticate(master, _caller(peer, good), True, "SUBSCRIBE")
        assert e.value.code == "UNAUTHENTICATED" and "only over TLS" in e.value.message
    # Over TLS (set by the TLS edge), from anywhere.
    assert authenticate(strict, _caller("ipv4:10.1.2.3:4000", good, tls=True), True, "x") == "alice"


def test_front_door_refusals() -> None:
    from daemons.master.calls import authenticate
    from daemons.master.master import CallError

    m = _master(allow_plaintext_credentials_on_loopback=True)
    local = "ipv4:127.0.0.1:4000"
    assert authenticate(m, _caller(local, None), False, "x") is None
    cases = [
        (None, "requires authentication"),
        ("Bearer abc", "Basic scheme"),
        (auth.basic_header("alice", "s2"), "authentication failed for principal 'alice'"),
    ]
    for header, says in cases:
        with pytest.raises(CallError) as e:
            authenticate(m, _caller(local, header), True, "SUBSCRIBE")
        assert e.value.code == "UNAUTHENTICATED" and says in e.value.message
        assert "s2" not in e.value.message
    # A wrong secret is refused even where no credential is required.
    with pytest.raises(CallError):
        authenticate(m, _caller(local, auth.basic_header("alice", "s2")), False, "GET_STATE")
    assert "s1" not in repr(_caller(local, auth.basic_header("alice", "s1")))


def test_client_credential() -> None:
    assert auth.client_credential(None) is None
    assert auth.client_credential("alice") is None  # a principal alone is only a name
    assert auth.client_credential("alice", "s") == Credential("alice", "s")
    with pytest.raises(AuthConfigError, match="needs its principal"):
        auth.client_credential(None, "s")
    with pytest.raises(AuthConfigError, match="cannot read it"):
        auth.client_credential("alice", secret_file="/nonexistent/secret")


def test_an_agent_id_admitted_by_a_previous_leader_needs_its_principal() -> None:
    """After a failover the registry says as whom an agent registered (Master.expected_agents,
    from ZooKeeper): only that principal may take the id up again."""
    from daemons.master.calls import agent_register
    from daemons.master.master import CallError, Master, MasterConfig
    from daemons.proto import agent_pb2

    master = Master(MasterConfig())
    master.expected_agents = {"a1": {"hostname": "h", "port": 1, "principal": "agent"},
                              "a2": {"hostname": "h", "port": 2}}
    caller = _caller("ipv4:127.0.0.1:1", None)
    register = agent_pb2.RegisterAgent()
    register.agent_info.id.value = "a1"
    with pytest.raises(CallError) as e:
        agent_register(master, caller, register)
    assert e.value.code == "PERMISSION_DENIED"
    assert "agent a1 registered as principal 'agent'" in e.value.message
    register.agent_info.id.value = "a2"  # admitted without authentication: anyone may
    assert agent_register(master, caller, register) is None


def test_authenticate_http_frameworks_is_for_the_http_edge_only() -> None:
    from daemons.master.calls import Caller, frameworks_must_authenticate

    http_only = _master(authenticate_http_frameworks=True)
    both = _master(authenticate_frameworks=True)
    grpc_caller, http_caller = Caller("grpc", "ipv4:127.0.0.1:1"), Caller("http", "ipv4:127.0.0.1:1")
    assert frameworks_must_authenticate(http_only, http_caller)
    assert not frameworks_must_authenticate(http_only, grpc_caller)
    assert frameworks_must_authenticate(both, grpc_caller)
    assert frameworks_must_authenticate(both, http_caller)
