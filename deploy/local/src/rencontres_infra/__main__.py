"""`python -m rencontres_infra COMMAND`: the local platform, for people and for `make`.

run        infrastructure and the three services in the foreground; Ctrl-C stops all
infra      infrastructure only, printing the environment the services need
provision  download and build what the local infrastructure needs, then exit
"""

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from rencontres_infra import ferretdb, kafka, mailpit
from rencontres_infra.errors import InfraError
from rencontres_infra.stack import REPO_ROOT, Stack, default_cache_dir


def _stop_on_signals() -> None:
    """Turn SIGTERM and SIGINT into KeyboardInterrupt so `finally` blocks stop every child
    process. SIGINT is set explicitly: a process started in the background by a
    non-interactive shell (a CI script, `make test &`) inherits it ignored, and Python then
    leaves it ignored, so Ctrl-C (or a test's SIGINT) would do nothing."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _banner(stack: Stack) -> str:
    assert stack.endpoints
    urls = stack.service_urls
    lines = [
        "",
        "Rencontres is running. Open:",
        f"  public form          {urls.get('registration', '-')}/",
        f"  registration API     {urls.get('registration', '-')}/docs",
        f"  billing API          {urls.get('billing', '-')}/docs",
        f"  notify API           {urls.get('notify', '-')}/docs",
        f"  ops dashboard        {urls.get('ops', '-')}/",
    ]
    if stack.endpoints.mail_url:
        lines.append(f"  emails (Mailpit)     {stack.endpoints.mail_url}/")
    if stack.endpoints.sinks_url:
        lines.append(f"  SMS sent             {stack.endpoints.sinks_url}/")
    lines += [
        f"  Kafka                {stack.endpoints.kafka_bootstrap_servers}",
        f"  MongoDB (FerretDB)   {stack.endpoints.mongodb_uri}",
        f"  logs                 {stack.logs}",
        "Press Ctrl-C to stop everything.",
        "",
    ]
    return "\n".join(lines)


def run(state_dir: Path, services: bool) -> None:
    _stop_on_signals()
    stack = Stack(state_dir)
    try:
        endpoints = stack.start_infra()
        if services:
            stack.start_services(log_to_terminal=True)
            print(_banner(stack), flush=True)
        else:
            for key, value in endpoints.env().items():
                print(f"export {key}={value}")
            print("# infrastructure is up; Ctrl-C stops it", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        # A second Ctrl-C (the terminal signals make, uv and us alike) must not cut the
        # shutdown short and leave a broker or a database running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m rencontres_infra", description=__doc__)
    parser.add_argument("command", choices=["run", "infra", "provision"])
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("RENCONTRES_STATE", REPO_ROOT / ".local" / "state")),
        help="data and logs of the local processes (default: .local/state in the repository)",
    )
    args = parser.parse_args()
    try:
        if args.command == "provision":
            cache = default_cache_dir()
            print(f"Kafka jars: {kafka.provision(cache)}")
            print(f"FerretDB:   {ferretdb.provision(cache)}")
            print(f"Mailpit:    {mailpit.provision(cache)}")
        else:
            run(args.state_dir, services=args.command == "run")
    except InfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
