"""Benchmark of `POST /api/registrations` against a one-insert FastAPI baseline.

Starts its own platform (port offset 6000, temporary state), the baseline on its own port,
then drives both, alternating real and baseline at every step. By default the platform is
the registration service with everything it needs (Kafka, FerretDB, PostgreSQL): billing and
notify are separate deployables that would run elsewhere, and on two cores they would take
their CPU from the endpoint under test (their events wait in Kafka). `--with-consumers` runs
all three services, as `make run` does.
1. closed loop with `wrk` (Debian package) at a few connection counts: max throughput;
2. open loop at fixed offered rates with the asyncio driver below (Debian's `wrk` has no
   fixed-rate mode): p50/p99 latency measured from each request's scheduled send time, so a
   slow server cannot hide its queue (no coordinated omission).
Writes bench-results/registration[-with-consumers].json and .png, prints a table and
PASS/FAIL per target.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rencontres_infra.stack import SERVICES, Ports, Stack
from rencontres_registration.catalog import DEFAULT_CATALOG

from bench.registration import ferretdb_ops
from bench.registration.cpu import cpu_seconds
from bench.scratch import scratch_dir

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = REPO / "bench-results"
EDITION = "bench-2027-11-19"
BENCH_EDITION = f"""
  - {{id: {EDITION}, campus: ales, campus_name: "IMT Mines Alès", date: 2027-11-19,
     stands: 100000, student_passes: 100000, registration_deadline: 2027-11-03T23:59:00+01:00}}
"""
PATH = "/api/registrations"
TARGETS = ("real", "baseline")
P99_BUDGET_MS = 50.0
TARGET_RATE = 500
GIVE_UP_SECONDS = 10.0


@dataclass
class Closed:
    target: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non2xx: int
    socket_errors: int
    cpu_ms_per_request: dict[str, float]
    """CPU time each process group used during the run, divided by the requests answered."""


@dataclass
class Open:
    target: str
    offered_rps: int
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    completed: int
    non2xx: int
    errors: int


# ------------------------------------------------------------------ processes


def write_catalog(state: Path) -> Path:
    shipped = DEFAULT_CATALOG.read_text(encoding="utf-8")
    path = state / "catalog.yaml"
    path.write_text(shipped.replace("\noffers:", BENCH_EDITION + "offers:", 1), encoding="utf-8")
    return path


def start_baseline(port: int, mongodb_uri: str, log: Path) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable, "-m", "uvicorn", "bench.registration.baseline:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", os.environ.get("LOG_LEVEL", "info").lower(),
        "--timeout-keep-alive", "75",  # as rencontres_kit.serve does for the services
    ]  # fmt: skip
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"baseline exited; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"baseline not ready after 30 s; see {log}")


# ------------------------------------------------------------------ closed loop: wrk


def wrk(url: str, connections: int, seconds: int, tag: str) -> dict[str, Any]:
    threads = min(2, connections)
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(HERE / "post.lua"), url + PATH, "--", tag, EDITION,
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCHJSON "))
    return result


def settle(url: str, tag: str) -> float:
    """Wait out the backlog a run left behind: one more submission, answered after it."""
    started = time.monotonic()
    request = urllib.request.Request(
        url + PATH, student_body(f"s.{tag}@example.fr"), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120):
        pass
    time.sleep(1)
    return time.monotonic() - started


def closed_loop(
    target: str, url: str, connections: int, seconds: int, tag: str, groups: dict[str, int]
) -> Closed:
    before = cpu_seconds(groups)
    r = wrk(url, connections, seconds, tag)
    time.sleep(1)  # let the relay and the broker finish what the run left them
    used = {n: s - before[n] for n, s in cpu_seconds(groups).items()}
    return Closed(
        target=target,
        connections=connections,
        rps=round(r["requests"] / (r["duration_us"] / 1e6), 1),
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        requests=r["requests"],
        non2xx=r["non2xx"],
        socket_errors=r["socket_errors"],
        cpu_ms_per_request={
            n: round(1000 * s / max(r["requests"], 1), 3) for n, s in used.items() if s > 0
        },
    )


# ------------------------------------------------------------------ open loop: asyncio


class Connection:
    """One keep-alive HTTP/1.1 connection; enough of the protocol for uvicorn's answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def post(self, host: str, path: str, body: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def student_body(email: str) -> bytes:
    return json.dumps(
        {
            "offer": "student_pass",
            "edition_id": EDITION,
            "contact": {"name": "Bench Student", "email": email},
            "student": {"school": "enscm", "programme": "Chimie", "year": 2},
            "data_consent": True,
        }
    ).encode()


async def open_loop(
    target: str, url: str, rate: int, seconds: float, tag: str, max_connections: int = 64
) -> Open:
    """Send at `rate` whatever the answers; a request not sent 10 s after its time is an error.

    At most `max_connections` requests are in flight, so an overloaded server is left with a
    bounded backlog that is drained (answered) before the next measurement starts.
    """
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    idle: list[Connection] = []
    slots = asyncio.Semaphore(max_connections)
    latencies: list[float] = []
    counts = {"non2xx": 0, "errors": 0}

    async def one(i: int, scheduled: float) -> None:
        async with slots:
            if loop.time() > scheduled + GIVE_UP_SECONDS:
                counts["errors"] += 1  # never sent: the client queue waited too long
                return
            body = student_body(f"o.{tag}.{i}@example.fr")
            conn = idle.pop() if idle else None
            try:
                if conn is not None:
                    try:
                        status = await conn.post(host, PATH, body)
                    except (OSError, IndexError, asyncio.IncompleteReadError):
                        # a kept-alive connection the server closed while idle:
                        # like any HTTP client, send once more on a new one
                        conn.close()
                        conn = None
                if conn is None:
                    conn = await Connection.open(host, int(port))
                    status = await conn.post(host, PATH, body)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                counts["errors"] += 1
                if conn:
                    conn.close()
                return
            latencies.append(loop.time() - scheduled)
            counts["non2xx"] += not 200 <= status < 300
            idle.append(conn)

    total = int(rate * seconds)
    start = loop.time() + 0.05
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        if (delay := scheduled - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    for conn in idle:
        conn.close()
    ordered = sorted(latencies) or [float("nan")]

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return Open(
        target=target,
        offered_rps=rate,
        achieved_rps=round(len(latencies) / elapsed, 1),
        p50_ms=pct(0.50),
        p99_ms=pct(0.99),
        max_ms=round(ordered[-1] * 1000, 2),
        sent=total,
        completed=len(latencies),
        non2xx=counts["non2xx"],
        errors=counts["errors"],
    )


# ------------------------------------------------------------------ report


def plot(closed: list[Closed], opened: list[Open], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    conns = sorted({c.connections for c in closed})
    width = 0.38
    for k, target in enumerate(TARGETS):
        rps = [next(c.rps for c in closed if c.target == target and c.connections == n)
               for n in conns]  # fmt: skip
        left.bar([i + (k - 0.5) * width for i in range(len(conns))], rps, width, label=target)
    left.set_xticks(range(len(conns)), [f"{n} conn." for n in conns])
    left.set_ylabel("requests/s (wrk, closed loop)")
    left.set_title("Max throughput, POST /api/registrations")
    left.set_ylim(top=1.2 * max(c.rps for c in closed))  # room for the legend above the bars
    left.legend(loc="upper right")
    for target in TARGETS:
        rows = [o for o in opened if o.target == target]
        rates = [o.offered_rps for o in rows]
        right.plot(rates, [o.p50_ms for o in rows], "o--", label=f"{target} p50")
        right.plot(rates, [o.p99_ms for o in rows], "o-", label=f"{target} p99")
    right.axhline(P99_BUDGET_MS, color="grey", linestyle=":", label="p99 budget 50 ms")
    right.set_yscale("log")
    right.set_xlabel("offered rate (requests/s, open loop)")
    right.set_ylabel("latency (ms)")
    right.set_title("Latency vs offered rate")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def summarise(closed: list[Closed], opened: list[Open], running: tuple[str, ...]) -> dict[str, Any]:
    best = {t: max(c.rps for c in closed if c.target == t) for t in TARGETS}
    ratio = best["real"] / best["baseline"] if best["baseline"] else 0.0
    at_target = next((o for o in opened if o.target == "real" and o.offered_rps == TARGET_RATE),
                     None)  # fmt: skip
    p99 = at_target.p99_ms if at_target else float("nan")
    clean = bool(at_target and at_target.non2xx == 0 and at_target.errors == 0)
    return {
        "services_running": list(running),
        "max_rps": best,
        "throughput_ratio_real_over_baseline": round(ratio, 3),
        "non2xx_total": {
            t: sum(c.non2xx for c in closed if c.target == t)
            + sum(o.non2xx + o.errors for o in opened if o.target == t)
            for t in TARGETS
        },
        "targets": {
            "real_at_least_half_baseline_throughput": {
                "value": round(ratio, 3),
                "pass": ratio >= 0.5,
            },
            f"real_p99_under_{P99_BUDGET_MS:.0f}ms_at_{TARGET_RATE}rps": {
                "value_ms": p99,
                "all_answered_2xx": clean,
                "pass": bool(at_target and p99 < P99_BUDGET_MS and clean),
            },
        },
    }


def print_table(
    closed: list[Closed], opened: list[Open], ops: list[dict[str, Any]], summary: dict[str, Any]
) -> None:
    print(f"\n{'target':9} {'conn':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non2xx':>7}")
    for c in closed:
        print(f"{c.target:9} {c.connections:>5} {c.rps:>8.1f} {c.p50_ms:>8.1f} {c.p99_ms:>8.1f}"
              f" {c.non2xx + c.socket_errors:>7}")  # fmt: skip
    print("\nCPU ms per request, by process group (closed loop):")
    for c in closed:
        spent = ", ".join(f"{n} {ms:.2f}" for n, ms in sorted(c.cpu_ms_per_request.items()))
        print(f"  {c.target:9} {c.connections:>3} conn.  {spent}")
    print(f"\n{'target':9} {'offered':>7} {'achieved':>8} {'p50 ms':>8} {'p99 ms':>8} {'bad':>5}")
    for o in opened:
        print(f"{o.target:9} {o.offered_rps:>7} {o.achieved_rps:>8.1f} {o.p50_ms:>8.1f}"
              f" {o.p99_ms:>8.1f} {o.non2xx + o.errors:>5}")  # fmt: skip
    print("\nOne database operation, sequential (ms: wall, FerretDB CPU, PostgreSQL CPU):")
    for op in ops:
        print(f"  {op['operation']:44} {op['wall_ms']:6.3f} {op['ferretdb_cpu_ms']:6.3f}"
              f" {op['postgres_cpu_ms']:6.3f}")  # fmt: skip
    print(f"\nthroughput real/baseline: {summary['throughput_ratio_real_over_baseline']:.2f}"
          f"  (services running: {', '.join(summary['services_running'])})")  # fmt: skip
    for name, verdict in summary["targets"].items():
        print(f"{'PASS' if verdict['pass'] else 'FAIL'}  {name}: {verdict}")


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=6000, help="port offset of the stack")
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--rates", type=int, nargs="+", default=[50, 100, 200, 500])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measurement")
    parser.add_argument(
        "--with-consumers",
        action="store_true",
        help="also run billing and notify (and the mail/SMS sinks' work) during the measurement",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on kill, too
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk")
    RESULTS.mkdir(exist_ok=True)
    state = scratch_dir("rencontres-bench-")
    ports = Ports.from_env(offset=args.offset)
    baseline_port = ports.registration + 50
    tag = time.strftime("%H%M%S")
    closed: list[Closed] = []
    opened: list[Open] = []
    with Stack(state, ports, ephemeral=True) as stack:
        endpoints = stack.start_infra()
        extra = {
            "REGISTRATION_CATALOG_PATH": str(write_catalog(state)),
            "REGISTRATION_RATE_LIMIT_PER_SECOND": "0",
        }
        running = SERVICES if args.with_consumers else ("registration",)
        urls = {"real": stack.start_services(extra_env=extra, names=running)["registration"]}
        base = start_baseline(baseline_port, endpoints.mongodb_uri, state / "baseline.log")
        urls["baseline"] = f"http://127.0.0.1:{baseline_port}"
        groups = {**stack.process_groups(), "baseline": base.pid}
        try:
            for target in TARGETS:  # warm-up: connections, indexes, JIT-free but cache-warm
                wrk(urls[target], 4, 3, f"w{tag}{target[0]}")
                settle(urls[target], f"w{tag}{target[0]}")
            for n in args.connections:
                for target in TARGETS:
                    closed.append(closed_loop(target, urls[target], n, args.seconds,
                                              f"c{tag}{target[0]}{n}", groups))  # fmt: skip
                    settle(urls[target], f"c{tag}{target[0]}{n}")
                    print(asdict(closed[-1]), flush=True)
            for rate in args.rates:
                for target in TARGETS:
                    run = open_loop(target, urls[target], rate, args.seconds,
                                    f"r{tag}{target[0]}{rate}")  # fmt: skip
                    opened.append(asyncio.run(run))
                    settle(urls[target], f"r{tag}{target[0]}{rate}")
                    print(asdict(opened[-1]), flush=True)
            ops = ferretdb_ops.measure(endpoints.mongodb_uri, groups)
        finally:
            base.terminate()
            base.wait(10)
    summary = summarise(closed, opened, running)
    report = {
        "meta": {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "load_tools": {"closed_loop": "wrk (Debian)", "open_loop": "bench asyncio driver"},
            "seconds_per_measurement": args.seconds,
            "endpoint": f"POST {PATH} (student_pass, edition {EDITION})",
            "services_running": list(running),
            "stack_state": str(state) if os.environ.get("BENCH_KEEP_STATE") == "1" else None,
        },
        "closed_loop": [asdict(c) for c in closed],
        "open_loop": [asdict(o) for o in opened],
        "ferretdb_ops": ops,
        "summary": summary,
    }
    name = "registration-with-consumers" if args.with_consumers else "registration"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    plot(closed, opened, RESULTS / f"{name}.png")
    print_table(closed, opened, ops, summary)
    print(f"\nwrote {RESULTS / name}.json and .png")


if __name__ == "__main__":
    main()
