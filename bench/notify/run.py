"""Benchmark of notify draining a backlog of events into the SMTP catcher, against a bare loop.

Starts its own platform (port offset 7000, temporary state): Kafka, FerretDB, Mailpit, the
SMS sink and the notify service alone. Then, in the same run and against the same catcher:
1. the bare loop: the same rendered email sent with aiosmtplib over as many kept-open
   connections as notify uses, nothing else (no database, no Kafka): the catcher's ceiling;
2. notify: N `registration.confirmed.v1` events (email only) published to Kafka as fast as
   the producer goes, so notify faces a backlog; each email's acceptance time is its `Created`
   time in Mailpit's API (the catcher's clock, milliseconds), each event's publication time
   from the event; rate = N / (last accepted - first published), latency = accepted - published.
Writes bench-results/notify.json and .png, prints PASS/FAIL for "at least half the bare rate".
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from aiokafka import AIOKafkaProducer
from rencontres_contracts import new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationConfirmedV1
from rencontres_infra.procs import spawn, stop_group
from rencontres_infra.stack import Ports, Stack
from rencontres_notify.messages import MESSAGES
from rencontres_notify.rendering import render_email
from rencontres_notify.senders import OutgoingEmail, build_message

from bench.scratch import scratch_dir

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench-results"
CONNECTIONS = 4
FROM = "Rencontres Entreprises <forum@rencontres.example>"
FROM_ADDRESS = "forum@rencontres.example"


def event(i: int, domain: str) -> Any:
    rid = str(uuid.uuid4())
    data = RegistrationConfirmedV1(
        registration_id=rid,
        reference=f"RC-BNCH-{i:04d}"[:32],
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        edition_names=["ENSCM Montpellier, 18 novembre 2027"],
        reason="free",
        contact=Contact(name="Léa Dubois", email=f"p{i}@{domain}"),
        status_url=f"http://127.0.0.1:8001/r/{rid}?t=abc",
    )
    return new_event(data, source="/bench/notify", subject=rid)


SEARCH_PAGE = 1000


def accepted_at(created: str) -> float:
    """Mailpit's `Created` (RFC 3339, milliseconds, UTC): when the catcher stored the mail."""
    return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()


async def stored(http: httpx.AsyncClient, mail_url: str) -> int:
    """How many emails Mailpit holds, all recipients: its message list's `total`, a count it
    answers in about 2 ms of its CPU. A search (`to:domain`) costs it about 0.2 s at 12,000
    stored messages: polled every two seconds, it took CPU from the drain being measured."""
    response = await http.get(f"{mail_url}/api/v1/messages", params={"limit": 1})
    response.raise_for_status()
    return int(response.json()["total"])


async def mailpit_times(http: httpx.AsyncClient, mail_url: str, domain: str) -> dict[str, float]:
    """{Message-ID: accepted time} of every email to `domain`, read page by page from
    Mailpit's search API (each summary carries the `MessageID` and its `Created` time)."""
    found: dict[str, float] = {}
    start = 0
    while True:
        params: dict[str, str | int] = {"query": f"to:{domain}", "start": start}
        response = await http.get(
            f"{mail_url}/api/v1/search", params={**params, "limit": SEARCH_PAGE}
        )
        response.raise_for_status()
        page = response.json()["messages"]
        for summary in page:
            found[f"<{summary['MessageID']}>"] = accepted_at(summary["Created"])
        start += len(page)
        if len(page) < SEARCH_PAGE:
            return found


async def bare_loop(host: str, port: int, n: int, domain: str) -> dict[str, float]:
    sample = event(0, domain)
    context = MESSAGES[sample.type].recipients(sample.data)[0].context
    email = render_email("registration.confirmed.v1", "fr", context)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname=host, port=port, timeout=30)
        await client.connect()
        while not queue.empty():
            i = queue.get_nowait()
            out = OutgoingEmail(
                to=f"b{i}@{domain}",
                name="Léa Dubois",
                email=email,
                message_id=f"<bare.{i}.{domain}@rencontres.example>",
                delivery_id=f"bare:{i}",
                date=datetime.now(UTC),
            )
            # the very message bytes and client call notify's sender makes
            await client.sendmail(FROM_ADDRESS, [out.to], build_message(FROM, out))
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    return {"messages": n, "seconds": elapsed, "per_second": n / elapsed}


async def notify_drain(
    bootstrap: str, mail_url: str, n: int, domain: str, timeout: float
) -> dict[str, Any]:
    events = [event(i, domain) for i in range(n)]
    published: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        already = await stored(http, mail_url)  # the bare loop's
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for e in events:
            published[f"<{e.id}.email@rencontres.example>"] = time.time()
            await producer.send("registration.events", e.to_bytes(), key=e.subject.encode())
        await producer.flush()
    finally:
        await producer.stop()
    publish_seconds = max(published.values()) - min(published.values())
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=60) as http:
        while time.monotonic() < deadline:
            if await stored(http, mail_url) >= already + n:
                break
            await asyncio.sleep(2)
        seen = await mailpit_times(http, mail_url, domain)
    latencies = sorted(seen[m] - published[m] for m in seen if m in published)
    first, last = min(published.values()), max(seen.values(), default=time.time())
    return {
        "messages": n,
        "delivered": len(seen),
        "publish_seconds": publish_seconds,
        "seconds": last - first,
        "per_second": len(seen) / (last - first) if seen else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "latencies_s": latencies,
    }


def notify_metrics(url: str) -> dict[str, float]:
    """Notify's own CPU seconds and possible resends, from its `/metrics`."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = {"cpu_seconds": 0.0, "possible_resends": 0.0}
    for line in text.splitlines():
        if line.startswith("process_cpu_seconds_total "):
            found["cpu_seconds"] = float(line.split()[1])
        elif line.startswith('notify_possible_resends_total{channel="email"}'):
            found["possible_resends"] = float(line.split()[1])
    return found


def start_replica(stack: Stack, extra: dict[str, str], index: int) -> Any:
    """Another notify process beside the stack's: same database and consumer group (Kafka
    splits the partitions, leases keep the sends apart), its own HTTP port."""
    assert stack.endpoints
    port = stack.ports.notify + 50 + index
    env = {**os.environ, **stack.endpoints.env(), **extra, "NOTIFY_PORT": str(port)}
    proc = spawn(
        [sys.executable, "-m", "rencontres_notify"], stack.logs / f"notify{index}.log", env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_group(proc)
    raise RuntimeError(f"notify replica {index} never got ready")


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    rates = [result["bare"]["per_second"], result["notify"]["per_second"]]
    left.bar(["bare aiosmtplib loop", "notify (Kafka → FerretDB → SMTP)"], rates)
    left.axhline(rates[0] / 2, linestyle="--", color="grey", label="target: half the bare rate")
    left.set_ylabel("emails accepted per second")
    left.set_title(f"Draining {result['notify']['messages']} events into the catcher")
    left.legend(loc="upper right")
    lat = result["notify"]["latencies_s"]
    if lat:
        right.plot(lat, [i / len(lat) for i in range(len(lat))])
    right.set_xlabel("seconds from event published to email accepted")
    right.set_ylabel("share of emails")
    right.set_title("notify: publish-to-accept latency (backlog included)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--offset", type=int, default=7000, help="port offset of the stack")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--replicas", type=int, default=1, help="notify processes (same group and database)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    RESULTS.mkdir(exist_ok=True)
    load_at_start = os.getloadavg()[0]
    state = scratch_dir("rencontres-bench-notify-")
    tag = uuid.uuid4().hex[:6]
    with Stack(state, Ports.from_env(offset=args.offset), ephemeral=True) as stack:
        endpoints = stack.start_infra()
        extra = {
            "NOTIFY_SMS_QUIET_START": "00:00",
            "NOTIFY_SMS_QUIET_END": "00:00",
            "NOTIFY_SMTP_CONNECTIONS": str(max(1, CONNECTIONS // args.replicas)),
            "LOG_LEVEL": "warning",
        }
        stack.start_services(extra_env=extra, names=("notify",))
        assert endpoints.mail_url, "the benchmark reads acceptance times from its own Mailpit"
        replicas = [start_replica(stack, extra, i) for i in range(1, args.replicas)]
        bare = asyncio.run(
            bare_loop(endpoints.smtp_host, endpoints.smtp_port, args.events, f"bare{tag}.example")
        )
        print("bare", bare, flush=True)
        notify_url = f"http://127.0.0.1:{stack.ports.notify}"
        before = notify_metrics(notify_url)
        drained = asyncio.run(
            notify_drain(
                endpoints.kafka_bootstrap_servers,
                endpoints.mail_url,
                args.events,
                f"notify{tag}.example",
                args.timeout,
            )
        )
        after = notify_metrics(notify_url)
        # the first process only (with --replicas, the others' are not counted)
        drained["cpu_ms_per_email"] = (
            1000 * (after["cpu_seconds"] - before["cpu_seconds"]) / max(1, drained["delivered"])
        )
        drained["possible_resends"] = after["possible_resends"] - before["possible_resends"]
        print("notify", {k: v for k, v in drained.items() if k != "latencies_s"}, flush=True)
        for replica in replicas:
            stop_group(replica)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # the machine is shared: the bare rate swings with what else runs (70 to 390/s)
            "load_average_1m": {"start": load_at_start, "end": os.getloadavg()[0]},
        },
        "connections": CONNECTIONS,
        "notify_replicas": args.replicas,
        "bare": bare,
        "notify": drained,
        "ratio": drained["per_second"] / bare["per_second"],
    }
    (RESULTS / "notify.json").write_text(
        json.dumps(
            {**result, "notify": {k: v for k, v in drained.items() if k != "latencies_s"}},
            indent=2,
        )
    )
    plot(result, RESULTS / "notify.png")
    verdict = "PASS" if result["ratio"] >= 0.5 and drained["delivered"] == args.events else "FAIL"
    rates = f"notify {drained['per_second']:.0f}/s vs bare {bare['per_second']:.0f}/s"
    latency = f"p50 {drained['p50_ms']} ms, p95 {drained['p95_ms']} ms"
    print(f"{verdict}: {rates} (ratio {result['ratio']:.2f}); {latency}")
