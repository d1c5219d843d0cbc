"""What TLS costs on the master's port: the same calls in plain text and over TLS, in one run.

Starts one master (a real process, TLS with LIBPROCESS_SSL_SUPPORT_DOWNGRADE, so both kinds of
client reach the same port) with a CA made by mesos_tui.localca, then measures, for plain text
(the baseline) and TLS:

- `call`: GET_HEALTH on one open channel, N times (per-call latency once connected);
- `connect`: a new channel and one GET_HEALTH, M times (connection set-up, the handshake);
- `state`: GET_STATE on one open channel, N times (bigger answers: the encryption itself).

Prints median and p90 per measure; `--json` prints one JSON object. A benchmark prints
figures; it is never a timed test.

    .venv/bin/python benchmarks/tls_cost.py --calls 500 --connects 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from daemons.common import tls  # noqa: E402
from daemons.proto import master_pb2, master_pb2_grpc  # noqa: E402
from mesos_tui.local import free_port  # noqa: E402
from mesos_tui.localca import local_tls  # noqa: E402

HEALTH = master_pb2.Call(type=master_pb2.Call.GET_HEALTH)
STATE = master_pb2.Call(type=master_pb2.Call.GET_STATE)


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1e3,
        "p90_ms": ordered[int(len(ordered) * 0.9) - 1] * 1e3,
    }


async def on_one_channel(address: str, settings: tls.TlsConfig, call: master_pb2.Call, n: int) -> list[float]:
    async with tls.channel(address, (), settings) as channel:
        stub = master_pb2_grpc.MasterStub(channel)
        await stub.Call(call, timeout=10)  # connect first: not measured
        out = []
        for _ in range(n):
            t = time.perf_counter()
            await stub.Call(call, timeout=10)
            out.append(time.perf_counter() - t)
        return out


async def connecting(address: str, settings: tls.TlsConfig, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        async with tls.channel(address, (), settings) as channel:
            await master_pb2_grpc.MasterStub(channel).Call(HEALTH, timeout=10)
        out.append(time.perf_counter() - t)
    return out


async def measure(address: str, server: tls.TlsConfig, calls: int, connects: int) -> dict[str, dict[str, dict[str, float]]]:
    kinds = {"plain": tls.TlsConfig(), "tls": tls.TlsConfig(enabled=True, ca_file=server.ca_file)}
    result: dict[str, dict[str, dict[str, float]]] = {}
    for name, settings in kinds.items():
        result[name] = {
            "call": figures(await on_one_channel(address, settings, HEALTH, calls)),
            "connect": figures(await connecting(address, settings, connects)),
            "state": figures(await on_one_channel(address, settings, STATE, calls)),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=500)
    p.add_argument("--connects", type=int, default=50)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tls-bench-") as work:
        server = local_tls(Path(work) / "tls")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MESOS_", tls.ENV_PREFIX))}
        env.update(tls.env_of(server), LIBPROCESS_SSL_SUPPORT_DOWNGRADE="true",
                   PYTHONPATH=str(ROOT), GRPC_VERBOSITY="NONE")
        master = subprocess.Popen(
            [sys.executable, "-m", "daemons.master.main", "--port", str(port),
             "--work_dir", str(Path(work) / "master"), "--log_level", "WARNING"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            address = f"127.0.0.1:{port}"

            async def ready() -> None:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        await on_one_channel(address, tls.TlsConfig(), HEALTH, 0)
                        return
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.1)

            asyncio.run(ready())
            result = asyncio.run(measure(address, server, args.calls, args.connects))
        finally:
            master.terminate()
            master.wait(timeout=10)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'measure':<10}{'plain median':>14}{'TLS median':>12}{'plain p90':>11}{'TLS p90':>9}   (ms)")
    for measure_name in ("call", "connect", "state"):
        plain, secure = result["plain"][measure_name], result["tls"][measure_name]
        print(f"{measure_name:<10}{plain['median_ms']:>14.2f}{secure['median_ms']:>12.2f}"
              f"{plain['p90_ms']:>11.2f}{secure['p90_ms']:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
