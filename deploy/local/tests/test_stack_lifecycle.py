"""`python -m rencontres_infra` as a person runs it: up, banner, Ctrl-C, nothing left behind;
and the one-line errors for a taken port or a missing toolchain."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import pytest
from rencontres_infra import postgres
from rencontres_infra.stack import Ports

PORT_NAMES = tuple(f.name for f in fields(Ports))  # every port the stack may open
# Addresses that would make the stack use existing infrastructure instead of starting its own.
INFRA_ENV = (
    "KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "SMTP_HOST", "SMTP_PORT", "SMS_PROVIDER_URL",
    "MAILPIT_URL",
)  # fmt: skip


def port_is_free(port: int) -> bool:
    """Same test as the stack's own check (SO_REUSEADDR: TIME_WAIT leftovers do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(base: int) -> dict[str, int]:
    """Consecutive free ports, one per name, from the first base (31000, 31020, ...) that has
    them."""
    for start in range(base, base + 2000, 20):
        ports = dict(zip(PORT_NAMES, range(start, start + len(PORT_NAMES)), strict=True))
        if all(port_is_free(p) for p in ports.values()):
            return ports
    raise AssertionError(f"no {len(PORT_NAMES)} free consecutive ports from {base}")


def infra_env(state: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in INFRA_ENV}
    env["RENCONTRES_STATE"] = str(state)
    env["PYTHONUNBUFFERED"] = "1"
    for name, port in ports.items():
        env[f"RENCONTRES_{name.upper()}_PORT"] = str(port)
    return env


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (the test's own state directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


class Output:
    """Drains a child's stdout in a thread so it never blocks on a full pipe."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout
        for line in proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(text in line for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._changed.wait(min(left, 1.0))
            return True

    def text(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def launched(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Run `argv`; whatever happens, nothing it started outlives the test."""
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.mark.infra
def test_run_prints_the_banner_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    ports = free_ports(31000)
    state = tmp_path / "state"
    argv = [sys.executable, "-m", "rencontres_infra", "run"]
    try:
        with launched(argv, infra_env(state, ports)) as proc:
            out = Output(proc)
            assert out.wait_for("Press Ctrl-C", 120), f"no banner in 120 s:\n{out.text()}"
            banner = out.text()
            for line in (
                f"public form          http://127.0.0.1:{ports['registration']}/",
                f"registration API     http://127.0.0.1:{ports['registration']}/docs",
                f"billing API          http://127.0.0.1:{ports['billing']}/docs",
                f"notify API           http://127.0.0.1:{ports['notify']}/docs",
                f"emails (Mailpit)     http://127.0.0.1:{ports['mailpit_http']}/",
                f"SMS sent             http://127.0.0.1:{ports['sinks_http']}/",
                f"Kafka                127.0.0.1:{ports['kafka']}",
                f"MongoDB (FerretDB)   mongodb://127.0.0.1:{ports['mongodb']}/",
                f"logs                 {state / 'logs'}",
            ):
                assert line in banner, f"{line!r} not in the banner:\n{banner}"
            for name in ("registration", "billing", "notify"):
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{ports[name]}/readyz", timeout=5
                ) as response:
                    assert response.status == 200, name
            assert not any(port_is_free(p) for p in ports.values()), "something is not listening"
            # Kafka, FerretDB, Mailpit, the SMS sink: seen
            assert len(processes_mentioning(str(state))) >= 4

            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(30)  # TimeoutExpired fails the test
            assert time.monotonic() - started < 30
            assert proc.returncode == 0, out.text()[-3000:]
            assert out.wait_for("stopping", 5)
    finally:
        leftovers = processes_mentioning(str(state))
        leftovers += processes_mentioning(str(postgres.data_dir_for(state)))
        for pid in leftovers:  # started by this test; reported below, stopped here
            os.kill(pid, signal.SIGKILL)
        postgres.forget(state)
    assert leftovers == [], "processes outlived `run`"
    taken = {name: port for name, port in ports.items() if not port_is_free(port)}
    assert taken == {}, f"ports still held after Ctrl-C: {taken}"


@pytest.mark.parametrize("taken", ["kafka", "mailpit_http"])
def test_taken_port_is_one_clear_error(tmp_path: Path, taken: str) -> None:
    ports = free_ports(32000)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[taken]))
        holder.listen()
        argv = [sys.executable, "-m", "rencontres_infra", "infra"]
        started = time.monotonic()
        done = subprocess.run(
            argv,
            env=infra_env(tmp_path / "state", ports),
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    assert time.monotonic() - started < 10
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert str(ports[taken]) in errors[0]
    assert f"RENCONTRES_{taken.upper()}_PORT" in errors[0]
    assert "Traceback" not in done.stderr
    for name, port in ports.items():
        if name != taken:
            assert port_is_free(port), f"{name} port {port} left taken"


def path_without(*tools: str) -> str:
    """PATH minus every directory holding one of `tools`."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    kept = [d for d in dirs if d and not any((Path(d) / t).exists() for t in tools)]
    for tool in tools:
        assert shutil.which(tool, path=os.pathsep.join(kept)) is None
    return os.pathsep.join(kept)


def provision_error(module: str, cache: Path, path: str) -> str:
    """Call `<module>.provision(cache)` in a fresh interpreter; the InfraError text it raises."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        f"from rencontres_infra import {module}\n"
        "from rencontres_infra.errors import InfraError\n"
        "try:\n"
        f"    {module}.provision(Path(sys.argv[1]))\n"
        "except InfraError as exc:\n"
        "    sys.stdout.write(str(exc))\n"
        "    sys.exit(3)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = path
    done = subprocess.run(
        [sys.executable, "-c", code, str(cache)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, f"no InfraError: rc={done.returncode}\n{done.stdout}{done.stderr}"
    return done.stdout


def test_no_jdk_is_one_line_saying_to_install_one(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    message = provision_error("kafka", cache, path_without("java", "mvn"))
    assert "\n" not in message
    assert message.startswith("`java` not found: install a JDK 17+")
    assert "JAVA_HOME" in message
    assert list(cache.iterdir()) == []


def test_no_go_is_one_line_saying_to_install_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for module in ("ferretdb", "mailpit"):
        message = provision_error(module, cache, path_without("go"))
        assert "\n" not in message
        assert message.startswith("`go` is not on PATH: install Go >= 1.24")
        assert list(cache.iterdir()) == []


def test_no_npm_is_one_line_saying_to_install_it_and_builds_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    message = provision_error("mailpit", cache, path_without("npm"))
    assert "\n" not in message
    assert message.startswith("`npm` is not on PATH: install Node.js and npm")
    assert [p.name for p in cache.rglob("*")] == ["mailpit"]  # no source copy, no binary
