"""Who this process's clients authenticate as, when the cluster asks (Mesos's credentials).

The entry points (`mesos-tui`, `mesos-tui shell`) read `--principal` with `--secret` or
`--secret_file` (or $MESOS_PRINCIPAL, $MESOS_SECRET, $MESOS_SECRET_FILE) once, and set it here;
every client they start (the operator client, the shell's command-queue framework, the agents'
Files API client) then sends it unless given another. A program that builds its own clients
passes `credential=` to them instead. The secret is never printed.
"""

from __future__ import annotations

from daemons.common.auth import Credential, grpc_metadata

_default: Credential | None = None


def set_default(credential: Credential | None) -> None:
    global _default
    _default = credential


def default() -> Credential | None:
    return _default


def metadata(credential: Credential | None = None) -> tuple[tuple[str, str], ...]:
    """The gRPC metadata carrying `credential`, else this process's default (or none)."""
    return grpc_metadata(credential if credential is not None else _default)
