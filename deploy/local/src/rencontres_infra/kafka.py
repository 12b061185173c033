"""A real Apache Kafka broker (KRaft, combined broker+controller, one node) as a local process.

Why not a container: development and test machines have a JDK and Maven but no container
engine, and the broker is plain Java. Its jars come from Maven Central through the tiny pom in
``deploy/local/kafka/pom.xml`` (the single place where the Kafka version is chosen), are cached
once per pom content, and the broker is started with ``java -cp 'libs/*' kafka.Kafka``.

Typical use::

    libs = provision(Path.home() / ".cache" / "rencontres")
    proc = start(libs, data_dir, port=9092, controller_port=9093, log_path=data_dir / "kafka.log")
    try:
        wait_ready(9092, proc, data_dir / "kafka.log")
        ...
    finally:
        stop(proc)
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from rencontres_infra.errors import InfraError
from rencontres_infra.procs import stop_group

__all__ = [
    "KAFKA_VERSION",
    "InfraError",
    "provision",
    "start",
    "stop",
    "wait_ready",
]

KAFKA_DIR = Path(__file__).resolve().parents[2] / "kafka"
"""``deploy/local/kafka``: the pom that lists the broker's runtime jars and its log config."""
POM_PATH = KAFKA_DIR / "pom.xml"
LOG_CONFIG_PATH = KAFKA_DIR / "log4j2.yaml"

MIN_JAVA = 17
"""Kafka 4.x brokers need Java 17+ (clients still run on 11)."""

MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin"

JVM_FLAGS: tuple[str, ...] = (
    # Serial GC: a dev broker has one small heap and a few threads; G1 costs more native
    # memory (remembered sets, more GC threads) for nothing here.
    "-XX:+UseSerialGC",
    # C1 only: start-up is dominated by class loading and cold code, C2 does not pay off
    # in a broker that lives for one test session.
    "-XX:TieredStopAtLevel=1",
    # Bound the non-heap parts too, so peak RSS is predictable on a laptop / CI runner.
    "-XX:MaxMetaspaceSize=128m",
    "-XX:ReservedCodeCacheSize=64m",
    "-XX:MaxDirectMemorySize=128m",
    "-Xss512k",
    "-Djava.awt.headless=true",
)


def _read_kafka_version(pom: Path) -> str:
    """Read ``kafka.version`` from the pom so the version is chosen in exactly one place."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", ns)
    if node is None or not (node.text or "").strip():
        raise InfraError(f"{pom} has no <kafka.version> property; restore it")
    return (node.text or "").strip()


KAFKA_VERSION: str = _read_kafka_version(POM_PATH)


# --------------------------------------------------------------------------- tools


def _java_executable() -> str:
    """Prefer ``$JAVA_HOME/bin/java`` like Kafka's own scripts do, else ``java`` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise InfraError(
            f"`java` not found: install a JDK {MIN_JAVA}+"
            " (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"
        )
    return found


@functools.cache
def _checked_java() -> str:
    """Return a java executable that is at least Java 17; cached because it forks a JVM."""
    java = _java_executable()
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfraError(f"`{java} -version` failed ({exc}); install a JDK {MIN_JAVA}+") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise InfraError(f"cannot read the version of {java}; install a JDK {MIN_JAVA}+")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise InfraError(
            f"{java} is Java {major}; Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+: install"
            f" openjdk-{MIN_JAVA} and put it first on PATH or set JAVA_HOME"
        )
    return java


def _checked_mvn() -> str:
    """Maven is only needed for the one-off download."""
    found = shutil.which("mvn")
    if found is None:
        raise InfraError(
            "`mvn` not found: install Apache Maven 3.6+ (e.g. `apt-get install maven`)"
        )
    return found


# --------------------------------------------------------------------------- provision


def _cache_key() -> str:
    """Name of the cached libs dir: version for humans, pom hash so any pom change re-fetches."""
    digest = hashlib.sha256(POM_PATH.read_bytes()).hexdigest()[:10]
    return f"kafka-{KAFKA_VERSION}-{digest}"


def _is_complete(libs: Path) -> bool:
    """A libs dir only ever appears by rename after a successful download, so this is cheap."""
    return (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise concurrent provisioners (e.g. parallel test workers) on one cache dir."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def provision(cache_dir: Path) -> Path:
    """Return a directory holding every jar of the broker for KAFKA_VERSION, downloading once.

    Idempotent and crash-safe: Maven copies into a temporary sibling directory which is then
    renamed into place, so the final directory exists only when complete. Temporary
    directories left by a dead run are deleted (under an exclusive lock, so never one that a
    live run is filling) and never used. A second call downloads nothing.

    Raises InfraError with a one-line hint when java (17+) or mvn is missing.
    """
    java = _checked_java()  # fail early: jars without a JVM are of no use
    key = _cache_key()
    final = cache_dir / key
    if _is_complete(final):
        return final

    mvn = _checked_mvn()
    with _locked(cache_dir / f".{key}.lock"):
        if _is_complete(final):  # another process finished while we waited for the lock
            return final
        for stale in cache_dir.glob(f".{key}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():  # not complete, e.g. emptied by hand: never trust it
            shutil.rmtree(final)
        tmp = cache_dir / f".{key}.tmp-{os.getpid()}"
        tmp.mkdir()
        cmd = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM_PATH),
            f"{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={tmp}",
        ]
        env = dict(os.environ)
        env.setdefault("JAVA_HOME", str(Path(java).resolve().parents[1]))
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise InfraError(f"cannot run Maven ({exc}); install Apache Maven 3.6+") from exc
        if done.returncode != 0 or not _is_complete(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise InfraError(
                f"Maven could not fetch Kafka {KAFKA_VERSION} jars (check network access to"
                f" Maven Central or ~/.m2/settings.xml mirrors):\n{tail}"
            )
        os.rename(tmp, final)
    return final


# --------------------------------------------------------------------------- start / stop


def _server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """Single-node combined-mode config with replication factors that one node can satisfy.

    The quorum is static (controller.quorum.voters) rather than a dynamic --standalone one so
    that a formatted data dir can be restarted on different ports: a dynamic quorum records
    the controller endpoint in the metadata log at format time.
    """
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir / "kraft-logs"),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "log.retention.hours": "24",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def _random_cluster_id() -> str:
    """Kafka cluster ids are 16 random bytes, base64url without padding (22 chars).

    Like Kafka's own Uuid.randomUuid, reject ids starting with '-': StorageTool's argument
    parser would read such an id as an option and fail ("expected one argument").
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cid.startswith("-"):
            return cid


def _jvm_base(java: str, libs: Path) -> list[str]:
    """Command prefix shared by StorageTool and the broker (same classpath and log config)."""
    return [
        java,
        f"-Dlog4j2.configurationFile={LOG_CONFIG_PATH}",
        "-cp",
        str(libs / "*"),  # expanded by the JVM, not by a shell
    ]


def start(
    libs: Path,
    data_dir: Path,
    port: int,
    controller_port: int,
    log_path: Path,
    heap_mb: int = 512,
) -> subprocess.Popen[bytes]:
    """Start the broker in its own process group and return at once (see wait_ready).

    Writes ``server.properties`` into data_dir, formats the storage with Kafka's StorageTool if
    data_dir is not formatted yet (a formatted dir is reused so topics survive restarts), then
    runs ``kafka.Kafka`` with stdout+stderr to log_path (truncated first). The new session lets the
    caller kill the JVM and anything it spawned with one ``os.killpg`` (see stop).
    """
    java = _checked_java()
    if not _is_complete(libs):
        raise InfraError(f"{libs} does not hold the Kafka {KAFKA_VERSION} jars; call provision()")
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "server.properties"
    config.write_text(_server_properties(data_dir, port, controller_port), encoding="utf-8")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Start a fresh log: wait_ready looks for the start-up line, an old one must not count.
    log_path.write_bytes(b"")

    if not (data_dir / "kraft-logs" / "meta.properties").is_file():
        fmt = [
            *_jvm_base(java, libs),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx128m",
            "kafka.tools.StorageTool",
            "format",
            "--config",
            str(config),
            "--cluster-id",
            _random_cluster_id(),
            "--ignore-formatted",
        ]
        with log_path.open("ab") as log:
            done = subprocess.run(fmt, stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise InfraError(
                f"Kafka StorageTool format failed (exit {done.returncode}); see {log_path}:\n"
                + _tail(log_path)
            )

    cmd = [
        *_jvm_base(java, libs),
        f"-Xms{heap_mb}m",
        f"-Xmx{heap_mb}m",
        *JVM_FLAGS,
        "kafka.Kafka",
        str(config),
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop the broker's process group: SIGTERM (clean shutdown), SIGKILL if it lingers."""
    stop_group(proc, timeout)


# --------------------------------------------------------------------------- readiness

_API_VERSIONS_KEY = 18
_STARTED_MARKER = b"Kafka Server started"


def _tail(log_path: Path, lines: int = 20) -> str:
    """Last lines of the broker log, for error messages that explain themselves."""
    try:
        data = log_path.read_bytes()
    except OSError:
        return f"(no log at {log_path})"
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def _api_versions_ok(port: int, timeout: float = 2.0) -> bool:
    """Send ApiVersions v0 by hand: a Kafka answer (not just an open port) means requests flow.

    Request: size, api_key, api_version, correlation_id, client_id (header v1), empty body.
    Response v0: size, correlation_id, error_code, ...
    """
    client_id = b"rencontres-wait-ready"
    correlation_id = 0x5EADE
    body = struct.pack(">hhih", _API_VERSIONS_KEY, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            payload = _recv_exact(sock, size)
    except (OSError, ConnectionError, struct.error):
        return False
    if len(payload) < 6:
        return False
    got_id, error_code = struct.unpack(">ih", payload[:6])
    return got_id == correlation_id and error_code == 0


def _log_says_started(log_path: Path) -> bool:
    try:
        return _STARTED_MARKER in log_path.read_bytes()
    except OSError:
        return False


def wait_ready(
    port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 90.0
) -> None:
    """Block until the broker answers ApiVersions on 127.0.0.1:port and has finished start-up.

    Both are checked: ApiVersions proves this port speaks Kafka, the 'Kafka Server started'
    log line proves the broker is unfenced, so topic creation and producers work at once.
    Raises InfraError with the log tail if the process exits or the timeout passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise InfraError(
                f"Kafka exited with code {code} before becoming ready; last lines of"
                f" {log_path}:\n{_tail(log_path)}"
            )
        if _log_says_started(log_path) and _api_versions_ok(port):
            return
        if time.monotonic() >= deadline:
            raise InfraError(
                f"Kafka not ready on 127.0.0.1:{port} after {timeout:.0f}s; last lines of"
                f" {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.1)
