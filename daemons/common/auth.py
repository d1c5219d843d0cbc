"""Who is calling (authentication) and what they may do (authorization), as Mesos does it.

Pure code, no I/O beyond reading the files named by flags, shared by the master, the agent
and the clients:

- **Credentials** (Mesos's `authentication.md`). The master's `--credentials` file holds the
  accepted principals and secrets, as JSON `{"credentials": [{"principal": "p", "secret": "s"},
  ...]}` or Mesos's older text form, one `principal secret` per line. An agent's or a client's
  `--credential` holds one, as JSON `{"principal": "p", "secret": "s"}` or one text line. A
  flag's value is a path, `file:///path`, or (for a single credential) the JSON itself.
  `Authenticator.check(principal, secret)` compares in constant time; no secret is ever
  formatted into a message or a log line (`Credential.__repr__` hides it).
- **On the wire** a credential is HTTP Basic: `Authorization: Basic base64(principal:secret)`,
  the header Mesos's HTTP authenticator reads (and avmesos sends); on gRPC the same text under
  the `authorization` metadata key. `basic_header` builds it, `parse_basic` reads it back.
- **ACLs** (Mesos's `authorization.md`, `acls.proto`). `--acls` is Mesos's JSON: `permissive`
  (default true) and, per action, a list of rules, each a subject entity (`principals`) and an
  object entity (`roles`, `users`, `framework_principals`, ...). An entity is
  `{"values": [...]}`, `{"type": "ANY"}` or `{"type": "NONE"}`. The first rule whose entities
  match the request decides; if none matches, `permissive` does. `Acls.allows(action,
  principal, object)` is the one question every edge asks; an unauthenticated caller is the
  subject ANY, as in Mesos's local authorizer, and so matches only rules for ANY or NONE
  principals.

A file or JSON that is not what Mesos would accept raises `AuthConfigError` with one line
saying what and where, for the daemon to print at start-up.

What an edge calls (the master's calls.py, the agent's Files API, any HTTP endpoint):

    principal = authenticate(settings, authorization_value, peer, tls, required, "what")
    authorize(settings.acls, "access_sandboxes", principal, user)

both raising `Refused` (code UNAUTHENTICATED or PERMISSION_DENIED, one sentence) to be turned
into the edge's own status (gRPC status; HTTP 401 with `WWW_AUTHENTICATE`, or 403).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# gRPC metadata key (lower case, as gRPC requires) and HTTP header carrying the credential.
METADATA_KEY = "authorization"
HTTP_HEADER = "Authorization"
# What a 401 answer says to an HTTP client, as Mesos's basic authenticator does.
WWW_AUTHENTICATE = 'Basic realm="mesos"'

MAX_PRINCIPAL = 255
MAX_SECRET = 4096
MAX_FILE_BYTES = 4 * 1024 * 1024


class AuthConfigError(ValueError):
    """A credentials or ACLs flag that cannot be used: one line for the operator."""


class BadAuthorization(ValueError):
    """An `Authorization` header or metadata value that is not a usable Basic credential."""


# ------------------------------------------------------------------------------ credentials


@dataclass(frozen=True, slots=True)
class Credential:
    """One principal and its secret. `repr` never shows the secret."""

    principal: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credential(principal={self.principal!r}, secret=***)"


def _check_principal(principal: object, where: str) -> str:
    if not isinstance(principal, str) or not principal:
        raise AuthConfigError(f"{where}: 'principal' must be a non-empty string")
    if len(principal) > MAX_PRINCIPAL or any(c.isspace() or ord(c) < 32 for c in principal):
        raise AuthConfigError(
            f"{where}: principal {principal[:40]!r} must be at most {MAX_PRINCIPAL} characters "
            "with no spaces or control characters"
        )
    return principal


def _check_secret(secret: object, where: str) -> str:
    if not isinstance(secret, str) or not secret:
        raise AuthConfigError(f"{where}: 'secret' must be a non-empty string")
    if len(secret) > MAX_SECRET:
        raise AuthConfigError(f"{where}: the secret is longer than {MAX_SECRET} characters")
    return secret


def _credential_from(obj: object, where: str) -> Credential:
    if not isinstance(obj, dict):
        raise AuthConfigError(f"{where}: expected an object with 'principal' and 'secret'")
    unknown = set(obj) - {"principal", "secret"}
    if unknown:
        raise AuthConfigError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    principal = _check_principal(obj.get("principal"), where)
    return Credential(principal, _check_secret(obj.get("secret"), where))


def _text_credentials(text: str, where: str) -> list[Credential]:
    """Mesos's old text form: one `principal secret` per line (blank lines and # skipped)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise AuthConfigError(
                f"{where} line {n}: expected 'principal secret' (or Mesos's JSON form)"
            )
        out.append(
            Credential(
                _check_principal(parts[0], f"{where} line {n}"),
                _check_secret(parts[1].strip(), f"{where} line {n}"),
            )
        )
    return out


def _read_flag_file(value: str, flag: str) -> tuple[str, str]:
    """The text a path flag names (a path or file:///path) and how to name it in errors."""
    path = value.removeprefix("file://")
    where = f"--{flag} {path}"
    try:
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise AuthConfigError(f"{where}: not a regular file")
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise AuthConfigError(f"{where}: cannot read it ({e.strerror or e})") from None
    if len(data) > MAX_FILE_BYTES:
        raise AuthConfigError(f"{where}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8"), where
    except UnicodeDecodeError:
        raise AuthConfigError(f"{where}: not UTF-8 text") from None


def _parse_json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        detail = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
        line = f" at line {e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
        raise AuthConfigError(f"{where}: invalid JSON ({detail}{line})") from None


def parse_credentials(text: str, where: str = "credentials") -> list[Credential]:
    """A credentials file's content: Mesos's JSON or the text form."""
    if text.lstrip().startswith("{"):
        obj = _parse_json(text, where)
        if not isinstance(obj, dict) or set(obj) != {"credentials"} or not isinstance(
            obj["credentials"], list
        ):
            raise AuthConfigError(
                f'{where}: expected {{"credentials": [{{"principal": ..., "secret": ...}}, ...]}}'
            )
        creds = [
            _credential_from(c, f"{where}: credentials[{i}]")
            for i, c in enumerate(obj["credentials"])
        ]
    else:
        creds = _text_credentials(text, where)
    seen: set[str] = set()
    for c in creds:
        if c.principal in seen:
            raise AuthConfigError(f"{where}: principal {c.principal!r} is listed twice")
        seen.add(c.principal)
    return creds


def parse_credential(text: str, where: str = "credential") -> Credential:
    """One credential: `{"principal": ..., "secret": ...}` or one `principal secret` line."""
    if text.lstrip().startswith("{"):
        return _credential_from(_parse_json(text, where), where)
    creds = _text_credentials(text, where)
    if len(creds) != 1:
        raise AuthConfigError(f"{where}: expected exactly one credential, found {len(creds)}")
    return creds[0]


def load_credentials(value: str, flag: str = "credentials") -> Authenticator:
    """The Authenticator for a `--credentials` flag (a path or file:///path)."""
    text, where = _read_flag_file(value, flag)
    creds = parse_credentials(text, where)
    if not creds:
        raise AuthConfigError(f"{where}: holds no credentials")
    return Authenticator(creds)


def load_credential(value: str, flag: str = "credential") -> Credential:
    """The Credential of a `--credential` flag: a path, file:///path, or the JSON itself."""
    if value.lstrip().startswith("{"):
        return parse_credential(value, f"--{flag}")
    text, where = _read_flag_file(value, flag)
    return parse_credential(text, where)


class Authenticator:
    """The accepted credentials. `check` takes the same time whether the principal is unknown
    or the secret is wrong, and however much of the secret is right."""

    __slots__ = ("_secrets", "_decoy")

    def __init__(self, credentials: Iterable[Credential]) -> None:
        self._secrets = {c.principal: c.secret.encode() for c in credentials}
        self._decoy = os.urandom(32)

    def __repr__(self) -> str:
        return f"Authenticator({len(self._secrets)} principals)"

    def __contains__(self, principal: str) -> bool:
        return principal in self._secrets

    def check(self, principal: str, secret: str) -> bool:
        expected = self._secrets.get(principal)
        given = secret.encode("utf-8", "surrogateescape")
        if expected is None:
            hmac.compare_digest(self._decoy, given)
            return False
        return hmac.compare_digest(expected, given)


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """What a daemon's flags ask of authentication and authorization (Mesos's names). The
    master uses every field; an agent uses the HTTP ones for its Files API."""

    authenticate_frameworks: bool = False
    # Mesos's flag for frameworks of the v1 HTTP scheduler API only (ours covers both edges).
    authenticate_http_frameworks: bool = False
    authenticate_agents: bool = False
    authenticate_http_readwrite: bool = False
    authenticate_http_readonly: bool = False
    authenticator: Authenticator | None = None
    acls: Acls | None = None
    # Credentials in plain text (no TLS) are refused, except from loopback peers with this.
    allow_plaintext_credentials_on_loopback: bool = False

    @property
    def authenticating(self) -> bool:
        return (
            self.authenticate_frameworks or self.authenticate_http_frameworks
            or self.authenticate_agents
            or self.authenticate_http_readwrite or self.authenticate_http_readonly
        )


class Refused(Exception):
    """A caller refused: `code` is "UNAUTHENTICATED" (gRPC UNAUTHENTICATED, HTTP 401 with
    `WWW-Authenticate: Basic realm="mesos"`) or "PERMISSION_DENIED" (403); `message` is one
    sentence naming the principal."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def authenticate(
    settings: AuthSettings,
    authorization: str | None,
    peer: str,
    tls: bool,
    required: bool,
    what: str,
    who: str = "the master",
) -> str | None:
    """The principal a request's `Authorization` value (HTTP header or gRPC metadata) proves,
    or None for a request that sent none where none is `required`; Refused otherwise. Every
    edge asks this one function:

    - a credential is checked whenever `settings.authenticator` exists (a wrong one is refused
      even where none is required);
    - only over TLS, or in plain text from a loopback `peer` with
      `allow_plaintext_credentials_on_loopback`;
    - `what` names the request in the refusal ("SUBSCRIBE", "reading sandboxes"), `who` the
      daemon whose flag allows plain text."""
    principal: str | None = None
    secret = ""
    if authorization:
        try:
            principal, secret = parse_basic(authorization)
        except BadAuthorization as e:
            raise Refused("UNAUTHENTICATED", f"{what}: {e}") from None
    if principal is None or settings.authenticator is None:
        if required:
            raise Refused(
                "UNAUTHENTICATED",
                f"{what} requires authentication: send a principal and secret "
                "(HTTP Basic, in the Authorization header or gRPC metadata)",
            )
        return None
    if not tls and not (settings.allow_plaintext_credentials_on_loopback and is_loopback(peer)):
        raise Refused(
            "UNAUTHENTICATED",
            f"{what}: credentials are accepted only over TLS (principal {principal!r} sent one "
            f"in plain text); {who}'s --allow_plaintext_credentials_on_loopback accepts them "
            "in plain text from this host only",
        )
    if not settings.authenticator.check(principal, secret):
        raise Refused(
            "UNAUTHENTICATED",
            f"{what}: authentication failed for principal {principal!r} "
            "(unknown principal or wrong secret)",
        )
    return principal


def authorize(acls: Acls | None, action: str, principal: str | None, obj: str | None) -> None:
    """Refused (PERMISSION_DENIED, naming the principal and the action) unless `acls` allow
    it; no ACLs allow everything."""
    if acls is not None and not acls.allows(action, principal, obj):
        raise Refused("PERMISSION_DENIED", denial(action, principal, obj))


# ------------------------------------------------------------------------------ HTTP Basic


def basic_header(principal: str, secret: str) -> str:
    """`Basic base64(principal:secret)`: the value of the Authorization header or metadata."""
    raw = f"{principal}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_basic(value: str) -> tuple[str, str]:
    """The principal and secret of an `Authorization: Basic ...` value; BadAuthorization
    (saying what is wrong, never echoing the value) otherwise."""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        raise BadAuthorization(
            "the Authorization header must use the Basic scheme: 'Basic base64(principal:secret)'"
        )
    try:
        raw = base64.b64decode(token.strip(), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise BadAuthorization(
            "the Authorization header is not valid Basic credentials (base64 of principal:secret)"
        ) from None
    principal, sep, secret = text.partition(":")
    if not sep or not principal or len(principal) > MAX_PRINCIPAL or len(secret) > MAX_SECRET:
        raise BadAuthorization(
            "the Authorization header is not valid Basic credentials (base64 of principal:secret)"
        )
    if any(ord(c) < 32 for c in principal):
        raise BadAuthorization("the principal in the Authorization header has control characters")
    return principal, secret


def grpc_metadata(credential: Credential | None) -> tuple[tuple[str, str], ...]:
    """The gRPC metadata carrying `credential` (none without one)."""
    if credential is None:
        return ()
    return ((METADATA_KEY, basic_header(credential.principal, credential.secret)),)


def is_loopback(peer: str) -> bool:
    """Whether a peer address (`ipv4:127.0.0.1:5050`, `ipv6:[::1]:5050`, `unix:...`) is this
    host's loopback."""
    if peer.startswith("ipv4:127.") or peer.startswith("ipv6:[::1]") or peer.startswith("unix:"):
        return True
    return peer.startswith("ipv6:[::ffff:127.")


# ------------------------------------------------------------------------------ ACLs

# Each action this project enforces, and the name of its object entity (Mesos's acls.proto;
# `kill_tasks` is this project's own: the operator KILL_TASK, by the task's framework's
# principal).
ACTIONS: Mapping[str, str] = {
    "register_frameworks": "roles",
    "run_tasks": "users",
    "teardown_frameworks": "framework_principals",
    "kill_tasks": "framework_principals",
    "view_frameworks": "users",
    "view_tasks": "users",
    "view_executors": "users",
    "access_sandboxes": "users",
    "register_agents": "agents",
}

# Actions of Mesos's acls.proto that this project has no call for: accepted in a file written
# for Mesos, and never consulted.
MESOS_ONLY_ACTIONS = frozenset(
    """reserve_resources unreserve_resources create_volumes destroy_volumes resize_volumes
    update_weights get_endpoints get_quotas update_quotas view_roles view_flags
    access_mesos_logs launch_nested_containers_as_user
    launch_nested_containers_under_parent_with_user kill_nested_containers
    wait_nested_containers launch_nested_container_sessions_as_user
    launch_nested_container_sessions_under_parent_with_user attach_containers_input
    attach_containers_output view_containers set_log_level remove_nested_containers
    update_maintenance_schedules get_maintenance_schedules start_maintenances
    stop_maintenances get_maintenance_statuses drain_agents deactivate_agents
    reactivate_agents mark_agents_gone launch_standalone_containers
    kill_standalone_containers wait_standalone_containers remove_standalone_containers
    view_standalone_containers modify_resource_provider_configs mark_resource_providers_gone
    view_resource_providers prune_images create_block_disks destroy_block_disks
    create_mount_disks destroy_mount_disks destroy_raw_disks""".split()
)

SOME, ANY, NONE = "SOME", "ANY", "NONE"
ANSWERS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class Entity:
    """Mesos's ACL.Entity: some named values, ANY or NONE."""

    type: str = SOME
    values: tuple[str, ...] = ()

    @classmethod
    def parse(cls, obj: object, where: str) -> Entity:
        if not isinstance(obj, dict):
            raise AuthConfigError(f'{where}: expected {{"values": [...]}} or {{"type": "ANY"}}')
        unknown = set(obj) - {"type", "values"}
        if unknown:
            raise AuthConfigError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        kind = obj.get("type", SOME)
        if kind not in (SOME, ANY, NONE):
            raise AuthConfigError(f"{where}: type must be ANY or NONE (or absent), not {kind!r}")
        values = obj.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AuthConfigError(f"{where}: 'values' must be a list of strings")
        return cls(kind, tuple(values))

    def matches(self, request: Entity) -> bool:
        """Mesos's `matches`: whether this rule's entity is about the request's."""
        if request.type == NONE:
            return self.type == NONE
        if request.type == ANY:
            return self.type in (ANY, NONE)
        if self.type in (ANY, NONE):
            return True
        return all(v in self.values for v in request.values)

    def allows(self, request: Entity) -> bool:
        """Mesos's `allows`: whether the matching rule's entity lets the request through."""
        if request.type == NONE:
            return self.type == NONE
        if request.type == ANY:
            return self.type == ANY
        if self.type == ANY:
            return True
        if self.type == NONE:
            return False
        return all(v in self.values for v in request.values)


def _request_entity(value: str | None) -> Entity:
    return Entity(ANY) if value is None else Entity(SOME, (value,))


@dataclass(frozen=True, slots=True)
class Rule:
    principals: Entity
    objects: Entity


@dataclass(frozen=True, slots=True)
class Acls:
    """Mesos's ACLs, loaded once. `allows(action, principal, object)` answers every question;
    `principal` None is an unauthenticated caller, `object` None is "any object"."""

    permissive: bool = True
    rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)
    # Answers already worked out: filtering a GET_STATE of 10,000 tasks asks about a handful
    # of users, 10,000 times. Bounded (cleared when full), since objects come from clients.
    _answers: dict[tuple[str, str | None, str | None], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def parse(cls, obj: object, where: str = "--acls") -> Acls:
        if not isinstance(obj, dict):
            raise AuthConfigError(f"{where}: expected a JSON object of ACLs")
        permissive = obj.get("permissive", True)
        if not isinstance(permissive, bool):
            raise AuthConfigError(f"{where}: 'permissive' must be true or false")
        rules: dict[str, tuple[Rule, ...]] = {}
        for action, items in obj.items():
            if action == "permissive":
                continue
            if action not in ACTIONS and action not in MESOS_ONLY_ACTIONS:
                raise AuthConfigError(
                    f"{where}: unknown ACL {action!r}; known: {', '.join(sorted(ACTIONS))}"
                )
            if not isinstance(items, list):
                raise AuthConfigError(f"{where}: {action} must be a list of rules")
            if action in MESOS_ONLY_ACTIONS:
                continue
            object_key = ACTIONS[action]
            parsed = []
            for i, item in enumerate(items):
                at = f"{where}: {action}[{i}]"
                if not isinstance(item, dict):
                    raise AuthConfigError(f"{at}: expected an object")
                unknown = set(item) - {"principals", object_key}
                if unknown:
                    raise AuthConfigError(
                        f"{at}: unknown field {sorted(unknown)[0]!r} (expected 'principals' "
                        f"and {object_key!r})"
                    )
                for key in ("principals", object_key):
                    if key not in item:
                        raise AuthConfigError(f"{at}: missing {key!r}")
                parsed.append(
                    Rule(
                        Entity.parse(item["principals"], f"{at}.principals"),
                        Entity.parse(item[object_key], f"{at}.{object_key}"),
                    )
                )
            rules[action] = tuple(parsed)
        return cls(permissive, rules)

    @classmethod
    def load(cls, value: str) -> Acls:
        """The ACLs of an `--acls` flag: the JSON itself, a path, or file:///path."""
        if value.lstrip().startswith("{"):
            return cls.parse(_parse_json(value, "--acls"))
        text, where = _read_flag_file(value, "acls")
        return cls.parse(_parse_json(text, where), where)

    def allows(self, action: str, principal: str | None, obj: str | None = None) -> bool:
        key = (action, principal, obj)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._decide(action, principal, obj)
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    def _decide(self, action: str, principal: str | None, obj: str | None) -> bool:
        if action not in ACTIONS:
            raise KeyError(f"unknown ACL action {action!r}")
        subject = _request_entity(principal)
        target = _request_entity(obj)
        for rule in self.rules.get(action, ()):
            if rule.principals.matches(subject) and rule.objects.matches(target):
                return rule.principals.allows(subject) and rule.objects.allows(target)
        return self.permissive


def denial(action: str, principal: str | None, obj: str | None = None) -> str:
    """The one sentence a denial says: who, which action, on what."""
    who = f"principal {principal!r}" if principal is not None else "an unauthenticated caller"
    kind = ACTIONS.get(action, "objects").rstrip("s").replace("_", " ")
    what = f" for {kind} {obj!r}" if obj is not None else ""
    return f"{who} is not authorized to {action.replace('_', ' ')}{what} (ACL {action})"


def client_credential(
    principal: str | None, secret: str | None = None, secret_file: str | None = None
) -> Credential | None:
    """What a client (mesos-execute, the TUI, the shell, a framework) authenticates as, from
    its --principal and --secret or --secret_file (the file's first line). None without a
    secret: a principal alone is only the name a framework registers with, as in Mesos."""
    if secret_file:
        path = secret_file.removeprefix("file://")
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_SECRET + 2)
        except OSError as e:
            raise AuthConfigError(f"--secret_file {path}: cannot read it ({e.strerror or e})") from None
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise AuthConfigError(f"--secret_file {path}: not UTF-8 text") from None
        if secret:
            raise AuthConfigError("give the secret once: --secret or --secret_file, not both")
        secret = lines[0].strip() if lines else ""
        if not secret:
            raise AuthConfigError(f"--secret_file {path}: the file is empty")
    if not secret:
        return None
    if not principal:
        raise AuthConfigError("a secret needs its principal: add --principal")
    return Credential(
        _check_principal(principal, "--principal"), _check_secret(secret, "--secret")
    )
