"""Fuzz: random and hostile calls on every gRPC API of a real master and agent.

Bounded (BATCHES batches of a few hundred calls, well under a minute). Each batch mixes:
random messages of every request type (every field filled from a hostile pool: invalid UTF-8,
`../..` ids, control characters, 70k-character strings, NaN, infinities, 1e306, ranges to
2^64-1, unknown enum values); ACCEPTs of real offers naming an offer twice, launching with
hostile resources or thousands of tasks; agent links registering with hostile infos and then
sending hostile updates; operator subscribers that never read; garbage bytes on every method;
Files API requests with hostile paths.

After every batch: both processes alive, GET_HEALTH answered within 1 s, the master's RSS
within 50 MB of where it started, no answer saying "Unexpected", and the allocator's
invariants hold in GET_STATE (no agent has more allocated and offered than it has; every
offer belongs to a live framework and agent; frameworks' allocations add up to the agents').
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from typing import Any

import grpc
import psutil
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from daemons.common.resources import Resources
from daemons.common.rpc import CHANNEL_OPTIONS, STREAM_ID_KEY, metadata_value
from daemons.proto import (
    agent_pb2,
    agent_pb2_grpc,
    master_pb2,
    master_pb2_grpc,
    mesos_pb2,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from tests.cluster import Cluster

BATCHES = 16
SEED = 20261130
MARKER = "\u2603FUZZ\u2603"  # replaced by invalid UTF-8 of the same length after serializing
STRINGS = [
    "", "a", "cpus", "mem", "ports", "*", "root", "nobody", "..", "../../../etc", "/", "a/b",
    "\x00", "\x01\x7f", "é日本", "x" * 300, MARKER, MARKER, "%2e%2e", "\\..\\..",
]
MILD = ["a", "cpus", "mem", "*", "nobody", "t1", "é日本", "x" * 300]
DOUBLES = [0.0, -1.0, 0.5, 1e306, -1e306, math.nan, math.inf, -math.inf, 1e-320, 2.0**63]
INTS = [0, 1, -1, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63), 2**64 - 1, 65535, 65536]
C = scheduler_pb2.Call
OC = master_pb2.Call
RSS_BUDGET = 50 * 2**20


def hostile(descriptor: Descriptor, rng: random.Random, depth: int = 0,
            mild: bool | None = None) -> Message:
    """A message of `descriptor`'s type with random fields from the hostile pools (`mild`:
    valid strings only, so that the call gets past validation into the master's logic)."""
    if mild is None:
        mild = rng.random() < 0.5
    cls = _class(descriptor)
    msg = cls()
    for field in descriptor.fields:
        if rng.random() < (0.45 if depth < 3 else 0.1):
            continue
        count = rng.choice((1, 1, 2, 5)) if field.is_repeated else 1
        for _ in range(count):
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                if depth >= 5:
                    continue
                value = hostile(field.message_type, rng, depth + 1, mild)
                if field.is_repeated:
                    getattr(msg, field.name).add().CopyFrom(value)
                else:
                    getattr(msg, field.name).CopyFrom(value)
                continue
            value = _scalar(field, rng, mild)
            try:
                if field.is_repeated:
                    getattr(msg, field.name).append(value)
                else:
                    setattr(msg, field.name, value)
            except (ValueError, TypeError):
                pass  # out of the field's range: the wire could not carry it either
    return msg


def _class(descriptor: Descriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def _scalar(field: FieldDescriptor, rng: random.Random, mild: bool = False) -> Any:
    t = field.type
    if t == FieldDescriptor.TYPE_STRING:
        s = rng.choice(MILD if mild else STRINGS)
        return "y" * 70_000 if rng.random() < 0.01 else s
    if t == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.choice((0, 1, 16, 100)))
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return rng.choice(DOUBLES)
    if t == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if t == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values]
        return rng.choice(values + [999])
    return rng.choice(INTS)


def corrupt(message: Message) -> Message:
    """Invalid UTF-8 wherever MARKER was put (same length, so the wire format holds)."""
    raw = message.SerializeToString()
    marker = MARKER.encode()
    if marker not in raw:
        return message
    return type(message).FromString(raw.replace(marker, b"\xff" * len(marker)))


class Answers:
    """Every error answer, by status code; the unclear ones kept apart."""

    def __init__(self) -> None:
        self.codes: Counter[str] = Counter()
        self.unclear: list[str] = []
        self.calls = 0

    def error(self, e: grpc.aio.AioRpcError) -> None:
        self.codes[e.code().name] += 1
        details = e.details() or ""
        if "Unexpected" in details or e.code() in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
            self.unclear.append(f"{e.code().name}: {details[:200]}")

    async def call(self, coro: Any) -> Any:
        self.calls += 1
        try:
            return await coro
        except grpc.aio.AioRpcError as e:
            self.error(e)
        except TimeoutError:
            self.codes["TIMEOUT"] += 1
        return None


class Fuzzer:
    def __init__(self, cluster: Cluster, rng: random.Random, answers: Answers) -> None:
        self.cluster = cluster
        self.rng = rng
        self.answers = answers
        self.channel = grpc.aio.insecure_channel(cluster.master_address, options=CHANNEL_OPTIONS)
        self.sched = scheduler_pb2_grpc.SchedulerStub(self.channel)
        self.op = master_pb2_grpc.MasterStub(self.channel)
        self.link = agent_pb2_grpc.AgentLinkStub(self.channel)
        self.offers: list[mesos_pb2.Offer] = []
        self.framework_id = ""
        self.stream_id = ""
        self.keep: list[Any] = []  # calls left open (subscribers that never read)
        self.reader: asyncio.Task[None] | None = None

    async def subscribe_legit(self) -> None:
        """A framework that reads its stream, so the fuzzer has real offers to abuse."""
        call = C(type=C.SUBSCRIBE)
        call.subscribe.framework_info.name = "fuzz-legit"
        call.subscribe.framework_info.user = "nobody"
        stream = self.sched.Subscribe(call)
        self.stream_id = metadata_value(await stream.initial_metadata(), STREAM_ID_KEY) or ""
        ready = asyncio.Event()

        async def read() -> None:
            async for event in stream:
                if event.type == scheduler_pb2.Event.SUBSCRIBED:
                    self.framework_id = event.subscribed.framework_id.value
                    ready.set()
                elif event.type == scheduler_pb2.Event.OFFERS:
                    self.offers.extend(event.offers.offers)
                elif event.type == scheduler_pb2.Event.RESCIND:
                    gone = event.rescind.offer_id.value
                    self.offers = [o for o in self.offers if o.id.value != gone]

        self.reader = asyncio.get_running_loop().create_task(read())
        self.keep.append(stream)
        await asyncio.wait_for(ready.wait(), 10)

    def md(self) -> tuple[tuple[str, str], ...]:
        sid = self.stream_id if self.rng.random() < 0.8 else self.rng.choice(STRINGS[:3])
        return ((STREAM_ID_KEY, sid),) if sid.isascii() and sid.isprintable() else ()

    async def batch(self) -> None:
        actions = [
            self.random_scheduler_call, self.random_scheduler_call, self.hostile_accept,
            self.hostile_accept, self.random_operator_call, self.random_subscribe,
            self.hostile_agent, self.garbage, self.files,
        ]
        coros = [self.rng.choice(actions)() for _ in range(100)]
        coros.append(self.silent_operator_subscriber())
        await asyncio.gather(*coros)

    # ----------------------------------------------------------------------- scheduler API

    async def random_scheduler_call(self) -> None:
        call = corrupt(hostile(C.DESCRIPTOR, self.rng))
        if self.rng.random() < 0.7:
            call.framework_id.value = self.framework_id
        await self.answers.call(self.sched.Call(call, metadata=self.md(), timeout=10))

    async def hostile_accept(self) -> None:
        call = C(type=C.ACCEPT)
        call.framework_id.value = self.framework_id
        offers = list(self.offers[:2])
        if not offers:
            return
        self.offers = self.offers[2:]
        for o in offers:
            call.accept.offer_ids.add().CopyFrom(o.id)
        if self.rng.random() < 0.5:
            call.accept.offer_ids.add().CopyFrom(offers[0].id)  # the same offer twice
        op = call.accept.operations.add(type=mesos_pb2.Offer.Operation.LAUNCH)
        n = self.rng.choice((1, 3, 10, 2000))
        for i in range(n):
            t = op.launch.task_infos.add(name="f")
            t.task_id.value = self.rng.choice([f"t{self.rng.random()}-{i}", "..", "a/b", "", "t"])
            t.agent_id.CopyFrom(offers[0].agent_id)
            t.command.value = "true"
            t.command.user = "nobody"
            kind = self.rng.random()
            if kind < 0.2:
                t.resources.add(name="cpus", type=mesos_pb2.Value.SCALAR).scalar.value = 1e306
            elif kind < 0.3:
                r = t.resources.add(name="ports", type=mesos_pb2.Value.RANGES)
                r.ranges.range.add(begin=31000, end=2**64 - 1)
            elif kind < 0.35:
                t.resources.add(name=MARKER, type=mesos_pb2.Value.SCALAR).scalar.value = 1
            else:
                t.resources.extend(Resources.parse("cpus:0.01;mem:1").to_proto())
        await self.answers.call(self.sched.Call(corrupt(call), metadata=self.md(), timeout=20))

    async def random_subscribe(self) -> None:
        call = corrupt(hostile(C.DESCRIPTOR, self.rng))
        if self.rng.random() < 0.7:
            call.type = C.SUBSCRIBE
        stream = self.sched.Subscribe(call, timeout=2)
        try:
            async for _ in stream:
                if self.rng.random() < 0.5:
                    break
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                self.answers.error(e)
        finally:
            stream.cancel()

    # ----------------------------------------------------------------------- operator API

    async def random_operator_call(self) -> None:
        call = corrupt(hostile(OC.DESCRIPTOR, self.rng))
        if call.type in (OC.PAUSE_ALLOCATOR,):
            call.type = OC.GET_STATE  # keep offers flowing for the rest of the fuzz
        await self.answers.call(self.op.Call(call, timeout=10))

    async def silent_operator_subscriber(self) -> None:
        """Subscribes and never reads: the master must cut it off, not grow."""
        stream = self.op.Subscribe(OC(type=OC.SUBSCRIBE))
        self.keep.append(stream)

    # ----------------------------------------------------------------------- agent link

    async def hostile_agent(self) -> None:
        first = corrupt(agent_pb2.AgentMessage(register=hostile(
            agent_pb2.RegisterAgent.DESCRIPTOR, self.rng)))  # type: ignore[arg-type]
        if self.rng.random() < 0.5:
            first.register.agent_info.hostname = "fuzz"
            first.register.agent_info.ClearField("resources")
            first.register.agent_info.resources.extend(Resources.parse("cpus:1;mem:64").to_proto())
            first.register.ClearField("tasks")
        rest = [
            corrupt(hostile(agent_pb2.AgentMessage.DESCRIPTOR, self.rng))  # type: ignore[arg-type]
            for _ in range(self.rng.choice((0, 3, 10)))
        ]
        # The register first, and its answer read, before anything else is written: the
        # status seen is then the master's own (a write racing the master's close of a refused
        # registration would be reported by the client as its own INTERNAL error instead).
        call = self.link.Connect(timeout=3)
        self.answers.calls += 1
        try:
            await call.write(first)
            answer = await call.read()
            if answer is not grpc.aio.EOF and answer.WhichOneof("message") == "registered":
                for message in rest:
                    await call.write(message)
                await asyncio.sleep(0.1)
                await call.done_writing()
                while await call.read() is not grpc.aio.EOF:
                    pass
        except grpc.aio.AioRpcError as e:
            if e.code() not in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
                self.answers.error(e)

    # ----------------------------------------------------------------------- raw bytes

    async def garbage(self) -> None:
        method = self.rng.choice([
            "/mesos.v1.scheduler.Scheduler/Call", "/mesos.v1.master.Master/Call",
        ])
        send = self.channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        data = self.rng.randbytes(self.rng.choice((1, 10, 1000)))
        await self.answers.call(send(data, timeout=5))

    # ----------------------------------------------------------------------- Files API

    async def files(self) -> None:
        agent = self.cluster.agents[0]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{agent.port}") as ch:
            stub = agent_pb2_grpc.FilesStub(ch)
            path = self.rng.choice(STRINGS + ["slaves", "/etc/shadow", "x/" * 3000])
            request = corrupt(agent_pb2.ReadFileRequest(path=path, offset=self.rng.choice(INTS[:7]),
                                                        length=self.rng.choice((0, 10, -1))))
            await self.answers.call(stub.Read(request, timeout=5))
            listing = corrupt(agent_pb2.ListFilesRequest(path=path))
            await self.answers.call(stub.List(listing, timeout=5))

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        for call in self.keep:
            call.cancel()
        await self.channel.close()


def check_invariants(state: master_pb2.Response.GetState) -> None:
    agents = {a.agent_info.id.value: a for a in state.get_agents.agents}
    total_allocated = Resources()
    for a in state.get_agents.agents:
        total = Resources.from_proto(a.total_resources)
        allocated = Resources.from_proto(a.allocated_resources)
        offered = Resources.from_proto(a.offered_resources)
        assert total.contains(allocated + offered), (a.agent_info.id.value, total, allocated, offered)
        total_allocated = total_allocated + allocated
    by_frameworks = Resources()
    frameworks = {f.framework_info.id.value for f in state.get_frameworks.frameworks}
    for f in state.get_frameworks.frameworks:
        by_frameworks = by_frameworks + Resources.from_proto(f.allocated_resources)
        for o in f.offers:
            assert o.agent_id.value in agents, o
            assert o.framework_id.value in frameworks, o
    assert by_frameworks == total_allocated, (by_frameworks, total_allocated)
    for row in state.sorter.frameworks:
        assert 0.0 <= row.dominant_share <= 1.0 + 1e-9, row


async def test_fuzz_every_api_and_nothing_breaks(cluster: Cluster) -> None:
    await cluster.start_master(allocation_interval="0.05secs", max_client_queue_bytes="2MB")
    await cluster.start_agent("cpus:4;mem:4096;ports:[31000-32000]")
    master = psutil.Process(cluster.master.proc.pid)  # type: ignore[union-attr]
    rng = random.Random(SEED)
    answers = Answers()
    fuzzer = Fuzzer(cluster, rng, answers)
    await fuzzer.subscribe_legit()
    await asyncio.sleep(0.3)
    baseline = master.memory_info().rss
    peak = baseline
    started = time.monotonic()
    slowest_health = 0.0
    try:
        for batch in range(BATCHES):
            await fuzzer.batch()
            for d in (cluster.master, *cluster.agents):
                assert d is not None and d.alive, f"{d.name} exited in batch {batch}"  # type: ignore[union-attr]
            t0 = time.monotonic()
            health = await cluster.operator.call(OC.GET_HEALTH, timeout=1.0)
            slowest_health = max(slowest_health, time.monotonic() - t0)
            assert health.get_health.healthy
            check_invariants(await cluster.operator.state())
            rss = master.memory_info().rss
            peak = max(peak, rss)
            assert rss - baseline < RSS_BUDGET, f"master RSS grew {(rss - baseline) / 2**20:.1f} MB"
            assert not answers.unclear, answers.unclear[:5]
    finally:
        await fuzzer.close()
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {answers.calls} calls in {BATCHES} batches, {elapsed:.1f}s; "
        f"error answers {dict(answers.codes)}; unclear 0; slowest GET_HEALTH "
        f"{slowest_health * 1000:.0f} ms; master RSS {baseline / 2**20:.1f} -> peak "
        f"{peak / 2**20:.1f} MB"
    )
    assert answers.calls > 1000
    # Nothing failed inside either daemon either (a swallowed exception is logged with its
    # traceback).
    for d in (cluster.master, *cluster.agents):
        log = d.log_path.read_text(errors="replace")  # type: ignore[union-attr]
        assert "Traceback" not in log, log[log.index("Traceback") - 300:][:3000]
    # The legit framework still gets offers: the cluster still works.
    assert elapsed < 90


pytestmark = pytest.mark.timeout(180) if hasattr(pytest.mark, "timeout") else []


async def _raw_framework(channel: grpc.aio.Channel, name: str):  # noqa: ANN202
    sched = scheduler_pb2_grpc.SchedulerStub(channel)
    call = C(type=C.SUBSCRIBE)
    call.subscribe.framework_info.name = name
    call.subscribe.framework_info.user = "nobody"
    stream = sched.Subscribe(call)
    stream_id = metadata_value(await stream.initial_metadata(), STREAM_ID_KEY) or ""
    offers: list[mesos_pb2.Offer] = []
    subscribed = asyncio.Event()
    framework_id = []

    async def read() -> None:
        async for event in stream:
            if event.type == scheduler_pb2.Event.SUBSCRIBED:
                framework_id.append(event.subscribed.framework_id.value)
                subscribed.set()
            elif event.type == scheduler_pb2.Event.OFFERS:
                offers.extend(event.offers.offers)

    reader = asyncio.get_running_loop().create_task(read())
    await asyncio.wait_for(subscribed.wait(), 10)
    return sched, stream, stream_id, framework_id[0], offers, reader


async def test_an_operator_subscriber_that_does_not_read_is_cut_off(cluster: Cluster) -> None:
    await cluster.start_master(max_client_queue_bytes="1MB")
    master = psutil.Process(cluster.master.proc.pid)  # type: ignore[union-attr]
    async with grpc.aio.insecure_channel(cluster.master_address, options=CHANNEL_OPTIONS) as ch:
        silent = master_pb2_grpc.MasterStub(ch).Subscribe(OC(type=OC.SUBSCRIBE))
        first = await silent.read()
        assert first.type == master_pb2.Event.SUBSCRIBED
        baseline = master.memory_info().rss
        sched, stream, sid, fid, _offers, reader = await _raw_framework(ch, "n" * 1000)
        for _ in range(3000):  # each REVIVE publishes a FRAMEWORK_UPDATED of ~1 KB
            await sched.Call(C(type=C.REVIVE, framework_id=mesos_pb2.FrameworkID(value=fid)),
                             metadata=((STREAM_ID_KEY, sid),), timeout=5)
        grown = master.memory_info().rss - baseline
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            while True:
                await asyncio.wait_for(silent.read(), 10)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "MiB behind; subscribe again" in (caught.value.details() or "")
        assert grown < 20 * 2**20, grown
        reader.cancel()
        stream.cancel()


async def test_a_big_accept_does_not_stall_the_master(cluster: Cluster) -> None:
    await cluster.start_master(allocation_interval="0.1secs")
    agent = await cluster.start_agent("cpus:64;mem:65536")
    async with grpc.aio.insecure_channel(cluster.master_address, options=CHANNEL_OPTIONS) as ch:
        sched, stream, sid, fid, offers, reader = await _raw_framework(ch, "big")
        while not offers:
            await asyncio.sleep(0.05)
        call = C(type=C.ACCEPT, framework_id=mesos_pb2.FrameworkID(value=fid))
        call.accept.offer_ids.add().CopyFrom(offers[0].id)
        op = call.accept.operations.add(type=mesos_pb2.Offer.Operation.LAUNCH)
        for i in range(20_000):  # each one refused (no resources): all the master's work
            t = op.launch.task_infos.add(name="t")
            t.task_id.value = f"t{i}"
            t.agent_id.value = agent.agent_id
            t.command.value = "true"
        answered: list[tuple[float, float]] = []  # (asked, answered) of each GET_HEALTH
        done = asyncio.Event()
        under_way = asyncio.Event()

        async def probe() -> None:
            health = master_pb2_grpc.MasterStub(ch)
            while not done.is_set():
                t0 = time.monotonic()
                await health.Call(OC(type=OC.GET_HEALTH), timeout=30)
                answered.append((t0, time.monotonic()))
                under_way.set()
                await asyncio.sleep(0)  # let the ACCEPT's call go out between probes

        prober = asyncio.get_running_loop().create_task(probe())
        await asyncio.wait_for(under_way.wait(), 30)  # the prober has had an answer
        sent = time.monotonic()
        await sched.Call(call, metadata=((STREAM_ID_KEY, sid),), timeout=60)
        returned = time.monotonic()
        done.set()
        await prober
        reader.cancel()
        stream.cancel()
    # Sliced, the ACCEPT lets other calls in between its slices: health checks asked after it
    # was sent are answered before it returns. Done in one piece, none could be (the loop
    # would be busy from the ACCEPT's arrival to its answer). Counted, not timed.
    during = [a for a in answered if sent <= a[0] and a[1] <= returned]
    assert len(during) >= 2, (
        f"{len(during)} GET_HEALTH answered during a {returned - sent:.2f}s ACCEPT"
    )
