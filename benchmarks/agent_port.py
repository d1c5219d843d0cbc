"""What the agent's shared port costs: one Files API read, by the three ways in.

Starts a real Agent (no master needed: its link just keeps retrying) with one file of
`--size` bytes in a sandbox, then times `--reads` sequential reads of it, each way on one
open connection:

- gRPC `Files.Read` straight to the loopback gRPC server behind the port (the baseline: what
  the agent served before its port was shared);
- gRPC `Files.Read` through the shared port (acceptor.py relays it: one more loopback hop);
- HTTP `GET /files/read?path=&offset=0&length=` (Mesos's endpoint, aiohttp, JSON).

Prints microseconds per read and each way's ratio to the baseline (`--json` for machines).
Never a timed test.

    .venv/bin/python benchmarks/agent_port.py [--reads 2000] [--size 4096]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import grpc  # noqa: E402

from daemons.agent.agent import Agent, AgentConfig  # noqa: E402
from daemons.common.detector import StandaloneDetector  # noqa: E402
from daemons.common.resources import Resources  # noqa: E402
from daemons.proto import agent_pb2, agent_pb2_grpc  # noqa: E402


async def _grpc_reads(address: str, path: str, reads: int) -> float:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = agent_pb2_grpc.FilesStub(channel)
        request = agent_pb2.ReadFileRequest(path=path)
        await stub.Read(request, timeout=10)  # connect first
        started = time.perf_counter()
        for _ in range(reads):
            await stub.Read(request, timeout=10)
        return time.perf_counter() - started


async def _http_reads(address: str, path: str, size: int, reads: int) -> float:
    url = f"http://{address}/files/read"
    params = {"path": path, "offset": "0", "length": str(size)}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, params=params) as r:
            assert r.status == 200, await r.text()
        started = time.perf_counter()
        for _ in range(reads):
            async with session.get(url, params=params) as r:
                await r.read()
        return time.perf_counter() - started


async def measure(reads: int, size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        config = AgentConfig(work_dir=Path(work), resources=Resources.parse("cpus:1;mem:128"),
                             port=0, registration_backoff_factor=60.0)
        sandbox = Path(work) / "slaves" / "S0" / "frameworks" / "F" / "executors" / "e" / "runs"
        sandbox.mkdir(parents=True)
        (sandbox / "stdout").write_bytes(b"x" * size)
        path = "S0/frameworks/F/executors/e/runs/stdout"
        agent = Agent(config, StandaloneDetector("127.0.0.1:9"))
        await agent.start()
        try:
            assert agent._server is not None
            behind = f"127.0.0.1:{agent._shared.grpc_address[1]}"  # type: ignore[union-attr]
            shared = f"127.0.0.1:{agent.files_port}"
            direct = await _grpc_reads(behind, path, reads)
            relayed = await _grpc_reads(shared, path, reads)
            http = await _http_reads(shared, path, size, reads)
        finally:
            await agent.stop()
    return {
        "reads": reads,
        "size": size,
        "grpc_direct_us": direct / reads * 1e6,
        "grpc_shared_port_us": relayed / reads * 1e6,
        "http_files_read_us": http / reads * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the agent's link says it has no master; expected
    result = await measure(max(1, args.reads), max(1, min(args.size, 1024 * 1024)))
    if args.json:
        print(json.dumps(result))
        return
    base = result["grpc_direct_us"]
    print(f"{result['reads']} reads of {result['size']} bytes, one connection each way:")
    for key, label in (("grpc_direct_us", "gRPC to the server behind the port (baseline)"),
                       ("grpc_shared_port_us", "gRPC through the shared port"),
                       ("http_files_read_us", "HTTP /files/read on the shared port")):
        print(f"  {label:48s} {result[key]:8.0f} us/read  ({result[key] / base:4.2f}x)")


if __name__ == "__main__":
    asyncio.run(main())
