"""The whole platform on one machine: infrastructure found or started, then the services.

Infrastructure is resolved in the order DESIGN.md gives:
1. addresses in the environment (`KAFKA_BOOTSTRAP_SERVERS`, `MONGODB_URI`, `SMTP_HOST` with
   `SMTP_PORT`, `SMS_PROVIDER_URL`): used as they are;
2. a Docker engine that answers: `deploy/compose.yaml` starts the official images;
3. otherwise local processes provisioned from package registries and cached outside the
   repository (Kafka from Maven Central, FerretDB and Mailpit built from their Go modules, the
   Python SMS sink).
Every process started here is stopped by `close()`, which `with Stack(...)` guarantees.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType

from rencontres_infra import ferretdb, kafka, mailpit, postgres
from rencontres_infra.procs import ensure_port_free, spawn, stop_group, wait_http
from rencontres_infra.topics import ensure_topics_sync

REPO_ROOT = Path(__file__).resolve().parents[4]
COMPOSE_FILE = REPO_ROOT / "deploy" / "compose.yaml"
SERVICES = ("registration", "billing", "notify", "ops")


def default_cache_dir() -> Path:
    return Path(os.environ.get("RENCONTRES_CACHE", Path.home() / ".cache" / "rencontres"))


@dataclass(frozen=True)
class Ports:
    """Fixed, documented defaults; each can be moved with `RENCONTRES_<NAME>_PORT`."""

    kafka: int = 19092
    kafka_controller: int = 19093
    mongodb: int = 27027
    postgres: int = 15432
    smtp: int = 1025
    mailpit_http: int = 8025
    sinks_http: int = 1080
    registration: int = 8001
    billing: int = 8002
    notify: int = 8003
    ops: int = 8004

    @classmethod
    def from_env(cls, offset: int = 0) -> "Ports":
        values = {}
        for f in fields(cls):
            env = os.environ.get(f"RENCONTRES_{f.name.upper()}_PORT")
            values[f.name] = int(env) if env else f.default + offset  # type: ignore[operator]
        return cls(**values)


@dataclass
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    smtp_host: str
    smtp_port: int
    sms_provider_url: str
    sinks_url: str | None
    """The local SMS sink's page and API, when we started it."""
    mail_url: str | None = None
    """Mailpit's web interface and API (`/api/v1/...`), when we started it."""

    def env(self) -> dict[str, str]:
        """What every service process reads to find the infrastructure."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "MONGODB_URI": self.mongodb_uri,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "SMS_PROVIDER_URL": self.sms_provider_url,
        }


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


class Stack:
    def __init__(
        self,
        state_dir: Path,
        ports: Ports | None = None,
        cache_dir: Path | None = None,
        say: Callable[[str], None] = print,
        ephemeral: bool = False,
    ) -> None:
        self.state_dir = state_dir
        self.ephemeral = ephemeral
        """Delete the database cluster on close (tests); `make run` keeps its data."""
        self.ports = ports or Ports.from_env()
        self.cache_dir = cache_dir or default_cache_dir()
        self.say = say
        self.logs = state_dir / "logs"
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._compose_up = False
        self.endpoints: Endpoints | None = None
        self.service_urls: dict[str, str] = {}

    # ------------------------------------------------------------------ infrastructure

    def start_infra(self) -> Endpoints:
        self.logs.mkdir(parents=True, exist_ok=True)
        env = os.environ
        kafka_addr = env.get("KAFKA_BOOTSTRAP_SERVERS")
        mongo_uri = env.get("MONGODB_URI")
        use_docker = (not kafka_addr or not mongo_uri) and docker_answers()
        if not env.get("SMTP_HOST"):
            p = self.ports  # a taken port stops us now, not after Mailpit's build
            ensure_port_free(p.smtp, "Mailpit SMTP", "RENCONTRES_SMTP_PORT")
            ensure_port_free(p.mailpit_http, "Mailpit web and API", "RENCONTRES_MAILPIT_HTTP_PORT")
        # Mailpit's build (npm, then Go: minutes when nothing is cached) overlaps the rest.
        pool = ThreadPoolExecutor(1, thread_name_prefix="mailpit-build")
        mail_binary = None
        if not env.get("SMTP_HOST"):
            mail_binary = pool.submit(mailpit.provision, self.cache_dir, self.say)
        try:
            if use_docker:
                kafka_addr, mongo_uri = self._compose(kafka_addr, mongo_uri)
            else:
                kafka_addr, mongo_uri = self._local(kafka_addr, mongo_uri)
            smtp_host, smtp_port, mail_url = self._mail(mail_binary)
        finally:
            pool.shutdown(wait=False)
        sms_url, sinks_url = self._sms()
        self.say(f"creating topics on {kafka_addr}")
        ensure_topics_sync(kafka_addr)
        self.endpoints = Endpoints(
            kafka_addr, mongo_uri, smtp_host, smtp_port, sms_url, sinks_url, mail_url
        )
        return self.endpoints

    def _local(self, kafka_addr: str | None, mongo_uri: str | None) -> tuple[str, str]:
        p = self.ports
        if not kafka_addr:
            ensure_port_free(p.kafka, "Kafka", "RENCONTRES_KAFKA_PORT")
            ensure_port_free(
                p.kafka_controller, "Kafka controller", "RENCONTRES_KAFKA_CONTROLLER_PORT"
            )
        if not mongo_uri:
            ensure_port_free(p.mongodb, "FerretDB", "RENCONTRES_MONGODB_PORT")
            ensure_port_free(p.postgres, "PostgreSQL", "RENCONTRES_POSTGRES_PORT")
            pg_proc = postgres.start(self.state_dir, p.postgres, self.logs / "postgres.log")
            self._procs.append(("postgres", pg_proc))
        with ThreadPoolExecutor(2) as pool:  # the Maven download and the Go build overlap
            libs = pool.submit(kafka.provision, self.cache_dir) if not kafka_addr else None
            binary = pool.submit(ferretdb.provision, self.cache_dir) if not mongo_uri else None
            libs_dir = libs.result() if libs else None
            binary_path = binary.result() if binary else None
        kafka_proc = ferret_proc = None
        if libs_dir:
            self.say(f"starting Apache Kafka {kafka.KAFKA_VERSION} (KRaft) on 127.0.0.1:{p.kafka}")
            kafka_proc = kafka.start(
                libs_dir,
                self.state_dir / "kafka",
                p.kafka,
                p.kafka_controller,
                self.logs / "kafka.log",
            )
            self._procs.append(("kafka", kafka_proc))
        if binary_path:
            postgres.wait_ready(
                p.postgres, dict(self._procs)["postgres"], self.logs / "postgres.log"
            )
            postgres.install_id_indexes(p.postgres)
            self.say(
                f"starting FerretDB {ferretdb.FERRETDB_VERSION} on 127.0.0.1:{p.mongodb}, "
                f"backed by PostgreSQL on 127.0.0.1:{p.postgres}"
            )
            ferret_proc = ferretdb.start(
                binary_path,
                self.state_dir / "ferretdb",
                p.mongodb,
                self.logs / "ferretdb.log",
                postgresql_url=postgres.url(p.postgres),
            )
            self._procs.append(("ferretdb", ferret_proc))
        if ferret_proc:
            ferretdb.wait_ready(p.mongodb, ferret_proc, self.logs / "ferretdb.log")
            mongo_uri = f"mongodb://127.0.0.1:{p.mongodb}/"
        if kafka_proc:
            kafka.wait_ready(p.kafka, kafka_proc, self.logs / "kafka.log")
            kafka_addr = f"127.0.0.1:{p.kafka}"
        assert kafka_addr and mongo_uri
        return kafka_addr, mongo_uri

    def _compose(self, kafka_addr: str | None, mongo_uri: str | None) -> tuple[str, str]:
        wanted = [
            name for name, given in (("kafka", kafka_addr), ("mongodb", mongo_uri)) if not given
        ]
        self.say(f"Docker answers: starting {', '.join(wanted)} from {COMPOSE_FILE}")
        env = {
            **os.environ,
            "KAFKA_PORT": str(self.ports.kafka),
            "MONGODB_PORT": str(self.ports.mongodb),
        }
        subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE_FILE), "up", "-d", "--wait", *wanted],
            check=True,
            env=env,
        )
        self._compose_up = True
        return (
            kafka_addr or f"127.0.0.1:{self.ports.kafka}",
            mongo_uri or f"mongodb://127.0.0.1:{self.ports.mongodb}/",
        )

    def _mail(self, binary_future: "Future[Path] | None") -> tuple[str, int, str | None]:
        """The SMTP server notify sends to: the environment's, or a local Mailpit."""
        env = os.environ
        if binary_future is None:
            return env["SMTP_HOST"], int(env.get("SMTP_PORT", "25")), env.get("MAILPIT_URL")
        p = self.ports
        binary = binary_future.result()
        data = self.state_dir / "mailpit"
        data.mkdir(parents=True, exist_ok=True)
        self.say(f"starting Mailpit {mailpit.MAILPIT_VERSION}: SMTP 127.0.0.1:{p.smtp}")
        log = self.logs / "mailpit.log"
        proc = spawn(mailpit.argv(binary, data, p.smtp, p.mailpit_http), log)
        self._procs.append(("mailpit", proc))
        url = f"http://127.0.0.1:{p.mailpit_http}"
        mailpit.wait_ready(url, lambda: proc.poll() is None, log)
        return "127.0.0.1", p.smtp, url

    def _sms(self) -> tuple[str, str | None]:
        """The SMS provider notify calls: the environment's, or the local SMS sink."""
        if sms_url := os.environ.get("SMS_PROVIDER_URL"):
            return sms_url, None
        p = self.ports
        ensure_port_free(p.sinks_http, "SMS sink", "RENCONTRES_SINKS_HTTP_PORT")
        argv = [
            sys.executable, "-m", "rencontres_infra.sinks",
            "--http-port", str(p.sinks_http), "--dir", str(self.state_dir / "sinks"),
        ]  # fmt: skip
        proc = spawn(argv, self.logs / "sinks.log")
        self._procs.append(("sinks", proc))
        url = f"http://127.0.0.1:{p.sinks_http}"
        self._wait_http(f"{url}/api/sms", proc, self.logs / "sinks.log", 20)
        return f"{url}/sms/send", url

    # ------------------------------------------------------------------ services

    def start_services(
        self,
        log_to_terminal: bool = False,
        extra_env: dict[str, str] | None = None,
        names: tuple[str, ...] = SERVICES,
    ) -> dict[str, str]:
        """Start `names` (all three by default) and wait until each answers `/readyz`."""
        assert self.endpoints, "start_infra() first"
        for name in names:
            port = getattr(self.ports, name)
            ensure_port_free(port, f"{name} service", f"RENCONTRES_{name.upper()}_PORT")
            env = {
                **os.environ,
                **self.endpoints.env(),
                f"{name.upper()}_PORT": str(port),
                "REGISTRATION_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.registration}",
                "BILLING_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.billing}",
                "NOTIFY_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.notify}",
                "OPS_SERVICES": json.dumps(self._watched()),
                **(extra_env or {}),
            }
            log = None if log_to_terminal else self.logs / f"{name}.log"
            proc = spawn([sys.executable, "-m", f"rencontres_{name}"], log, env)
            self._procs.append((name, proc))
            self.service_urls[name] = f"http://127.0.0.1:{port}"
        for name in names:
            proc = dict(self._procs)[name]
            self._wait_http(
                f"{self.service_urls[name]}/readyz", proc, self.logs / f"{name}.log", 60
            )
        return self.service_urls

    def _watched(self) -> dict[str, str]:
        """What the ops dashboard watches: every other service, wherever it listens."""
        return {
            name: f"http://127.0.0.1:{getattr(self.ports, name)}"
            for name in SERVICES
            if name != "ops"
        }

    def _wait_http(
        self, url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float
    ) -> None:
        wait_http(url, lambda: proc.poll() is None, log, timeout, url)

    # ------------------------------------------------------------------ lifecycle

    def process_groups(self) -> dict[str, int]:
        """Each process started here, by name, and its process group (each starts its own)."""
        return {name: proc.pid for name, proc in self._procs}

    def close(self) -> None:
        for _name, proc in reversed(self._procs):
            stop_group(proc)
        stopped = [name for name, _ in self._procs]
        self._procs.clear()
        if self.ephemeral and "postgres" in stopped:
            postgres.forget(self.state_dir)
        if self._compose_up:
            subprocess.run(["docker", "compose", "-f", str(COMPOSE_FILE), "down"], check=False)
            self._compose_up = False

    def __enter__(self) -> "Stack":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
