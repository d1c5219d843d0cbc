"""Ids in Mesos's shapes: a master's UUID, and agent, framework and offer ids derived from it.

Mesos names an agent `<master-id>-S<n>`, a framework `<master-id>-<nnnn>` and an offer
`<master-id>-O<n>`; people reading logs and the UI recognise these at a glance.
"""

from __future__ import annotations

import itertools
import uuid


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_uuid_bytes() -> bytes:
    return uuid.uuid4().bytes


class IdMaker:
    """Makes the ids one master hands out during its leadership."""

    def __init__(self, master_id: str | None = None) -> None:
        self.master_id = master_id or new_uuid()
        self._agents = itertools.count()
        self._frameworks = itertools.count()
        self._offers = itertools.count()

    def agent(self) -> str:
        return f"{self.master_id}-S{next(self._agents)}"

    def framework(self) -> str:
        return f"{self.master_id}-{next(self._frameworks):04d}"

    def offer(self) -> str:
        return f"{self.master_id}-O{next(self._offers)}"
