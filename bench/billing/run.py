"""Benchmark: invoices issued per second draining a backlog of registration events, against a
bare aiokafka consume-and-insert loop on the same broker and database, in the same run.

Starts its own infrastructure (Kafka, FerretDB on PostgreSQL; port offset 7700, temporary
state), writes `--events` (10 000) `registration.submitted.v1` events of reserved stands to two
private topics (3 partitions, like `registration.events`), then drains one with the real
billing service (`python -m rencontres_billing`, one process, its relay publishing
`invoice.issued.v1` to `billing.events`) and the other with `baseline.py`, one after the
other so they do not share the two cores. The rate is the steady one: documents done between
10 % and 90 % of the backlog, over the time between. Writes bench-results/billing.json and
.png, prints the figures and PASS/FAIL for the target (billing ≥ ⅓ of the bare loop).
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import MongoClient
from rencontres_infra.procs import spawn, stop_group
from rencontres_infra.stack import Ports, Stack

from bench.registration.cpu import cpu_seconds
from bench.scratch import scratch_dir
from services.billing.tests import factories

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench-results"
TARGET_RATIO = 1 / 3


async def backlog(bootstrap: str, topics: list[str], events: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=3, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, acks="all")
    await producer.start()
    try:
        for _ in range(events):
            event = factories.submitted()
            value, key = event.to_bytes(), event.data.registration_id.encode()
            for topic in topics:
                await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def numbered(counters: Any) -> int:
    """Invoices numbered so far (the benchmark subtracts the `invoice.issued.v1` still in the
    entry outbox, a collection that only holds what is unpublished), read from the counters
    (one small document per year), not by counting invoices:
    `count_documents({"status": "issued"})` makes FerretDB read every invoice (1.3 s of its
    CPU at 10,000), and sampling it twice a second took most of the server away from the
    billing it measures. A claim still pending counts none of its
    numbers, so this never runs ahead of the invoices actually written."""
    total = 0
    for counter in counters.find({"_id": {"$regex": "^FAC-"}}):
        pending = counter.get("pending")
        if isinstance(pending, dict):  # a batch claim: numbers first..last not all written yet
            total += int(pending["first"]) - 1
        elif pending is not None:  # one draft being numbered
            total += int(counter["last"]) - 1
        else:
            total += int(counter["last"])
    return total


def drain(
    target: str,
    argv: list[str],
    env: dict[str, str],
    count: Any,
    events: int,
    logs: Path,
    timeout: float,
    servers: dict[str, int],
) -> dict[str, Any]:
    """Start the consumer, sample how many documents are done until all are; the figures
    (with the CPU each server process group spent per document meanwhile)."""
    proc = spawn(argv, logs / f"{target}.log", env)
    started = time.monotonic()
    samples: list[tuple[float, int]] = []
    groups = {target: proc.pid, **servers}
    cpu_before = cpu_seconds(groups)
    try:
        while True:
            done = count()
            samples.append((time.monotonic() - started, done))
            if done >= events:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited; see {logs / target}.log")
            if time.monotonic() - started > timeout:
                break
            time.sleep(0.5)
        cpu_after = cpu_seconds(groups)
        cpu = cpu_after[target] - cpu_before[target]
    finally:
        stop_group(proc)
    low, high = events * 0.1, events * 0.9
    t_low = next((t for t, d in samples if d >= low), None)
    t_high = next((t for t, d in samples if d >= high), None)
    d_low = next((d for t, d in samples if d >= low), 0)
    d_high = next((d for t, d in samples if d >= high), 0)
    rate = (
        (d_high - d_low) / (t_high - t_low)
        if t_low is not None and t_high and t_high > t_low
        else None
    )
    return {
        "target": target,
        "events": events,
        "done": samples[-1][1],
        "seconds_total": round(samples[-1][0], 1),
        "steady_rate_per_s": round(rate, 1) if rate else None,
        "cpu_ms_per_document": round(1000 * cpu / max(samples[-1][1], 1), 2),
        "server_cpu_ms_per_document": {
            name: round(1000 * (cpu_after[name] - cpu_before[name]) / max(samples[-1][1], 1), 2)
            for name in servers
        },
        "samples": [(round(t, 1), d) for t, d in samples],
    }


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        ts, ds = zip(*r["samples"], strict=True)
        left.plot(ts, ds, label=f"{r['target']} ({r['steady_rate_per_s']}/s)")
    left.set_xlabel("seconds")
    left.set_ylabel("documents done")
    left.set_title("draining the backlog")
    left.legend()
    right.bar([r["target"] for r in results], [r["steady_rate_per_s"] or 0 for r in results])
    right.set_ylabel("documents / s (10 %–90 % of the backlog)")
    right.set_title("steady rate")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--offset", type=int, default=7700, help="port offset of the stack")
    parser.add_argument("--timeout", type=float, default=3600, help="give up draining after")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    RESULTS.mkdir(exist_ok=True)
    state = scratch_dir("rencontres-bench-billing-")
    tag = time.strftime("%H%M%S")
    real_topic, bare_topic = f"bench-billing-{tag}", f"bench-bare-{tag}"
    results = []
    with Stack(state, Ports.from_env(offset=args.offset), ephemeral=True) as stack:
        endpoints = stack.start_infra()
        asyncio.run(
            backlog(endpoints.kafka_bootstrap_servers, [real_topic, bare_topic], args.events)
        )
        mongo: MongoClient[dict[str, Any]] = MongoClient(endpoints.mongodb_uri)
        servers = {n: g for n, g in stack.process_groups().items() if n != "mailpit"}
        env = {**os.environ, **endpoints.env(), "PYTHONPATH": str(REPO), "LOG_LEVEL": "warning"}
        real_db, bare_db = f"bench_billing_{tag}", f"bench_bare_{tag}"
        real_env = {
            **env,
            "BILLING_DATABASE": real_db,
            "BILLING_CONSUMER_GROUP": real_db,
            "BILLING_SUBSCRIBE_TOPICS": json.dumps([real_topic]),
            "BILLING_PORT": str(stack.ports.billing),
        }
        results.append(
            drain(
                "billing",
                [sys.executable, "-m", "rencontres_billing"],
                real_env,
                lambda: (
                    numbered(mongo[real_db]["counters"])
                    - mongo[real_db]["outbox"].count_documents({})
                ),
                args.events,
                state,
                args.timeout,
                servers,
            )
        )
        # once, after the drain: the counters' figure checked against the invoices themselves
        results[0]["issued_counted"] = mongo[real_db]["invoices"].count_documents(
            {"status": "issued"}
        )
        progress = state / "bare-progress"
        progress.write_text("0")
        results.append(
            drain(
                "bare_loop",
                [
                    sys.executable,
                    "-m",
                    "bench.billing.baseline",
                    bare_topic,
                    bare_db,
                    str(progress),
                ],
                env,
                lambda: int(progress.read_text() or 0),
                args.events,
                state,
                args.timeout,
                servers,
            )
        )
        results[1]["inserted_counted"] = mongo[bare_db]["invoices"].count_documents({})
        mongo.close()
    real, bare = results
    ratio = (
        real["steady_rate_per_s"] / bare["steady_rate_per_s"]
        if real["steady_rate_per_s"] and bare["steady_rate_per_s"]
        else None
    )
    report: dict[str, Any] = {
        "meta": {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "events": args.events,
            "stack_state": str(state) if os.environ.get("BENCH_KEEP_STATE") == "1" else None,
            "load_average": os.getloadavg(),
        },
        "results": results,
        "summary": {
            "billing_rate_per_s": real["steady_rate_per_s"],
            "bare_loop_rate_per_s": bare["steady_rate_per_s"],
            "ratio": round(ratio, 3) if ratio else None,
            "target": "billing >= 1/3 of the bare loop",
            "pass": bool(ratio and ratio >= TARGET_RATIO),
        },
    }
    (RESULTS / "billing.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    plot(results, RESULTS / "billing.png")
    for r in results:
        print(
            f"{r['target']:>10}: {r['steady_rate_per_s']} /s steady, {r['done']}/{r['events']} "
            f"in {r['seconds_total']} s, {r['cpu_ms_per_document']} ms CPU per document"
        )
        servers_cpu = ", ".join(f"{k} {v}" for k, v in r["server_cpu_ms_per_document"].items())
        print(f"{'':>10}  servers' CPU per document (ms): {servers_cpu}")
    verdict = "PASS" if report["summary"]["pass"] else "FAIL"
    print(f"ratio {report['summary']['ratio']} (target ≥ 0.333): {verdict}")
    print(f"wrote {RESULTS}/billing.json and .png")


if __name__ == "__main__":
    main()
