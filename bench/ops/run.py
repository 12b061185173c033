"""The ops dashboard under a burst: page and data endpoint latency while 5,000 registrations flow.

Starts its own platform (all four services; port offset 5500, temporary state, public rate
limit off, a catalog with a 100 000-place edition), signs in to ops, then sends a burst of
registrations (`--registrations`, 5,000 by default, `--concurrency` at once) while a probe
loads the dashboard page (`/`), its refresh fragment (`/partials/overview`) and the data
endpoint (`/api/overview`) one after the other, continuously, for the whole burst and until
the consumers have caught up. A measurement, not a test: it prints PASS/FAIL for the target
(p95 under 300 ms for each) and writes `bench-results/ops.json`.
"""

import argparse
import asyncio
import json
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from rencontres_infra.stack import Ports, Stack

from bench.registration.run import student_body, write_catalog
from bench.scratch import scratch_dir

RESULTS = Path("bench-results")
TARGET_P95_MS = 300.0
PROBED = ("/", "/partials/overview", "/api/overview")
LOGIN = {"name": "staff", "password": "dev-ops-password-change-me"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def burst(url: str, total: int, concurrency: int) -> dict[str, Any]:
    """POST `total` registrations, `concurrency` at a time; counts by status."""
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    started = time.monotonic()

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            email = f"bench.{uuid.uuid4().hex[:12]}@example.fr"
            try:
                response = await client.post(
                    f"{url}/api/registrations",
                    content=student_body(email),
                    headers={"Content-Type": "application/json"},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    seconds = time.monotonic() - started
    return {"seconds": round(seconds, 1), "rps": round(total / seconds, 1), "statuses": statuses}


async def probe(ops: str, stop: asyncio.Event) -> dict[str, list[float]]:
    """Load each probed path in turn until `stop`; milliseconds per request, by path."""
    times: dict[str, list[float]] = {path: [] for path in PROBED}
    async with httpx.AsyncClient(base_url=ops, timeout=10) as client:
        assert (await client.post("/login", data=LOGIN)).status_code == 303
        while not stop.is_set():
            for path in PROBED:
                started = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
                times[path].append(elapsed)
            await asyncio.sleep(0.05)
    return times


async def caught_up(ops: str, seconds: float) -> float:
    """Wait until the consumers have no lag left (or `seconds`); how long it took."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=ops, timeout=10) as client:
        await client.post("/login", data=LOGIN)
        while time.monotonic() - started < seconds:
            data = (await client.get("/api/overview")).json()
            if data["lag_total"] == 0 and not data["outbox_pending"]:
                break
            await asyncio.sleep(1)
    return time.monotonic() - started


async def measure(urls: dict[str, str], total: int, concurrency: int) -> dict[str, Any]:
    stop = asyncio.Event()
    probing = asyncio.create_task(probe(urls["ops"], stop))
    await asyncio.sleep(2)  # the collector's first polls
    sent = await burst(urls["registration"], total, concurrency)
    drained = await caught_up(urls["ops"], 300)
    stop.set()
    times = await probing
    return {"burst": sent, "catch_up_seconds": round(drained, 1), "times": times}


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    paths = {}
    for path, times in result["times"].items():
        paths[path] = {
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "max_ms": round(max(times), 1),
        }
    passed = all(p["p95_ms"] < TARGET_P95_MS for p in paths.values())
    return {"paths": paths, "target_p95_ms": TARGET_P95_MS, "pass": passed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=5500, help="port offset of the stack")
    parser.add_argument("--registrations", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on kill, too
    RESULTS.mkdir(exist_ok=True)
    state = scratch_dir("rencontres-bench-ops-")
    with Stack(state, Ports.from_env(offset=args.offset), ephemeral=True) as stack:
        stack.start_infra()
        extra = {
            "REGISTRATION_CATALOG_PATH": str(write_catalog(state)),
            "REGISTRATION_RATE_LIMIT_PER_SECOND": "0",
        }
        urls = stack.start_services(extra_env=extra)
        result = asyncio.run(measure(urls, args.registrations, args.concurrency))
    summary = summarise(result)
    report = {
        "meta": {"registrations": args.registrations, "concurrency": args.concurrency},
        "burst": result["burst"],
        "catch_up_seconds": result["catch_up_seconds"],
        "summary": summary,
    }
    (RESULTS / "ops.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    for path, figures in summary["paths"].items():
        print(f"{path:22} n={figures['requests']:5}  p50 {figures['p50_ms']:7.1f} ms  "
              f"p95 {figures['p95_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms")  # fmt: skip
    print(("PASS" if summary["pass"] else "FAIL") + f": p95 < {TARGET_P95_MS:.0f} ms on each")
