"""The status update manager's protocol, driven by a fake clock and a recording sender."""

from __future__ import annotations

import uuid

import pytest

from daemons.agent.status_updates import Ack, StatusUpdateManager
from daemons.proto import agent_pb2, mesos_pb2

FW = "F-0000"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sender:
    def __init__(self) -> None:
        self.sent: list[agent_pb2.StatusUpdate] = []
        self.connected = True

    def __call__(self, update: agent_pb2.StatusUpdate) -> bool:
        if not self.connected:
            return False
        self.sent.append(update)
        return True

    def states(self) -> list[str]:
        return [mesos_pb2.TaskState.Name(u.status.state) for u in self.sent]

    def clear(self) -> None:
        self.sent.clear()


def status(task: str, state: int) -> mesos_pb2.TaskStatus:
    s = mesos_pb2.TaskStatus(state=state, uuid=uuid.uuid4().bytes)
    s.task_id.value = task
    return s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sender() -> Sender:
    return Sender()


@pytest.fixture
def manager(clock: FakeClock, sender: Sender) -> StatusUpdateManager:
    return StatusUpdateManager(sender, clock, initial_interval=2.0, max_interval=60.0)


def test_only_the_head_is_in_flight_and_order_is_kept(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    updates = [
        status("t1", s)
        for s in (mesos_pb2.TASK_STARTING, mesos_pb2.TASK_RUNNING, mesos_pb2.TASK_FINISHED)
    ]
    for u in updates:
        manager.update(FW, u)
    assert sender.states() == ["TASK_STARTING"]
    assert sender.sent[0].framework_id.value == FW
    assert sender.sent[0].latest_state == mesos_pb2.TASK_STARTING  # All it knew then.
    # A retry of the head says where the task really is now, beyond the head.
    clock.advance(2)
    assert manager.retry_due() == 1
    assert sender.sent[1].status.uuid == updates[0].uuid
    assert sender.sent[1].latest_state == mesos_pb2.TASK_FINISHED
    del sender.sent[1]

    assert manager.acknowledge(FW, "t1", updates[0].uuid) is Ack.NEXT
    assert sender.states() == ["TASK_STARTING", "TASK_RUNNING"]
    assert sender.sent[1].latest_state == mesos_pb2.TASK_FINISHED
    assert manager.acknowledge(FW, "t1", updates[1].uuid) is Ack.NEXT
    assert manager.acknowledge(FW, "t1", updates[2].uuid) is Ack.TERMINAL
    assert sender.states() == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert [u.status.uuid for u in sender.sent] == [u.uuid for u in updates]
    assert len(manager) == 0


def test_head_is_retried_with_doubling_interval_until_acknowledged(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    running = status("t1", mesos_pb2.TASK_RUNNING)
    manager.update(FW, running)
    sent_at = [clock.now]
    for _ in range(7):
        deadline = manager.next_deadline()
        assert deadline is not None
        clock.now = deadline - 0.001
        assert manager.retry_due() == 0  # Not yet.
        clock.now = deadline
        assert manager.retry_due() == 1
        sent_at.append(clock.now)
    gaps = [round(b - a, 3) for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert gaps == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert all(u.status.uuid == running.uuid for u in sender.sent)
    assert len(sender.sent) == 8


def test_no_resend_after_acknowledgement(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    running = status("t1", mesos_pb2.TASK_RUNNING)
    manager.update(FW, running)
    assert manager.acknowledge(FW, "t1", running.uuid) is Ack.DONE
    sender.clear()
    for _ in range(10):
        clock.advance(100)
        manager.retry_due()
    manager.resend_all()
    assert sender.sent == []
    assert manager.next_deadline() is None


def test_a_stale_or_wrong_acknowledgement_is_ignored(
    manager: StatusUpdateManager, sender: Sender
) -> None:
    starting = status("t1", mesos_pb2.TASK_STARTING)
    running = status("t1", mesos_pb2.TASK_RUNNING)
    manager.update(FW, starting)
    manager.update(FW, running)
    # Acknowledging the second before the first does nothing.
    assert manager.acknowledge(FW, "t1", running.uuid) is Ack.UNKNOWN
    assert manager.acknowledge(FW, "t1", b"x" * 16) is Ack.UNKNOWN
    assert manager.acknowledge("other", "t1", starting.uuid) is Ack.UNKNOWN
    assert manager.acknowledge(FW, "t2", starting.uuid) is Ack.UNKNOWN
    assert manager.acknowledge(FW, "t1", starting.uuid) is Ack.NEXT
    # A duplicate of an acknowledgement already applied does nothing either.
    assert manager.acknowledge(FW, "t1", starting.uuid) is Ack.UNKNOWN
    assert manager.pending(FW, "t1") == [running]


def test_tasks_are_independent(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    a = status("a", mesos_pb2.TASK_RUNNING)
    b1 = status("b", mesos_pb2.TASK_RUNNING)
    b2 = status("b", mesos_pb2.TASK_FAILED)
    manager.update(FW, a)
    clock.advance(1)
    manager.update(FW, b1)
    manager.update(FW, b2)
    assert [u.status.task_id.value for u in sender.sent] == ["a", "b"]
    assert manager.acknowledge(FW, "b", b1.uuid) is Ack.NEXT
    sender.clear()
    clock.advance(1.5)  # a's first retry is due (t=2), b2's is not (t=3.5).
    assert manager.retry_due() == 1
    assert [u.status.uuid for u in sender.sent] == [a.uuid]


def test_disconnected_updates_wait_and_resend_all_sends_every_head(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    sender.connected = False
    a1 = status("a", mesos_pb2.TASK_RUNNING)
    a2 = status("a", mesos_pb2.TASK_FINISHED)
    b = status("b", mesos_pb2.TASK_RUNNING)
    for fw_task in (a1, a2, b):
        manager.update(FW, fw_task)
    clock.advance(10)
    manager.retry_due()
    assert sender.sent == []
    sender.connected = True
    manager.resend_all()
    assert sorted(u.status.task_id.value for u in sender.sent) == ["a", "b"]
    heads = {u.status.task_id.value: u.status.uuid for u in sender.sent}
    assert heads == {"a": a1.uuid, "b": b.uuid}
    # The back-off restarted: the next retry is one initial interval away.
    assert manager.next_deadline() == pytest.approx(clock.now + 2.0)


def test_terminal_acknowledgement_forgets_the_task(manager: StatusUpdateManager) -> None:
    lost = status("t9", mesos_pb2.TASK_LOST)
    manager.update(FW, lost)
    assert manager.keys() == [(FW, "t9")]
    assert manager.acknowledge(FW, "t9", lost.uuid) is Ack.TERMINAL
    assert manager.keys() == []


def test_forget_framework_drops_its_updates(
    manager: StatusUpdateManager, sender: Sender, clock: FakeClock
) -> None:
    manager.update(FW, status("a", mesos_pb2.TASK_RUNNING))
    manager.update("other", status("b", mesos_pb2.TASK_RUNNING))
    assert manager.forget_framework(FW) == 1
    sender.clear()
    clock.advance(5)
    manager.retry_due()
    assert [u.framework_id.value for u in sender.sent] == ["other"]


def test_an_update_needs_a_uuid(manager: StatusUpdateManager) -> None:
    s = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_RUNNING)
    s.task_id.value = "t"
    with pytest.raises(ValueError):
        manager.update(FW, s)


def test_deadline_callback_fires_on_every_schedule(clock: FakeClock, sender: Sender) -> None:
    calls: list[float | None] = []
    manager = StatusUpdateManager(
        sender, clock, 1.0, 8.0, on_deadline_change=lambda: calls.append(1)
    )
    manager.update(FW, status("t", mesos_pb2.TASK_RUNNING))
    clock.advance(1)
    manager.retry_due()
    assert len(calls) == 2
