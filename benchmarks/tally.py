"""Counting task ends the way a framework must: by distinct task id.

Status updates are delivered at least once: the agent retries an update until the framework's
acknowledgement comes back, so a slow acknowledgement can bring the same update (same uuid)
twice. A benchmark that counts TASK_FINISHED updates can therefore call a run done one task
early. `TerminalTally` counts each task id once, by its first terminal update, and reports
what else came:

- `retransmissions`: the same terminal update again (same uuid): harmless, at-least-once;
- `duplicates`: another terminal update with a different uuid or state for a task id that had
  already ended: a broken promise (a framework must hear at most one terminal state per task).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from daemons.common.states import is_terminal
from daemons.proto import mesos_pb2


@dataclass
class TerminalTally:
    ended: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # task id -> (state, uuid)
    by_state: Counter[str] = field(default_factory=Counter)
    retransmissions: int = 0
    duplicates: int = 0
    duplicate_ids: list[str] = field(default_factory=list)

    def record(self, status: mesos_pb2.TaskStatus) -> bool:
        """Note a status update; True when it is the first end of its task id."""
        if not is_terminal(status.state):
            return False
        if status.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION:
            return False  # an answer to RECONCILE repeats the known state
        tid = status.task_id.value
        seen = self.ended.get(tid)
        if seen is None:
            self.ended[tid] = (status.state, status.uuid)
            self.by_state[mesos_pb2.TaskState.Name(status.state)] += 1
            return True
        if status.uuid and seen == (status.state, status.uuid):
            self.retransmissions += 1
        else:
            self.duplicates += 1
            if len(self.duplicate_ids) < 20:
                self.duplicate_ids.append(tid)
        return False

    def __len__(self) -> int:
        return len(self.ended)

    def figures(self) -> dict[str, object]:
        return {
            "distinct_tasks_ended": len(self.ended),
            "by_state": dict(self.by_state),
            "retransmitted_updates": self.retransmissions,
            "duplicate_terminal_updates": self.duplicates,
            "duplicate_task_ids": list(self.duplicate_ids),
        }
