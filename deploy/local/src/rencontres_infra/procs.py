"""Child processes in their own process groups, stopped whatever happens to the parent."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rencontres_infra.errors import InfraError


def spawn(
    argv: list[str], log_path: Path | None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session; output to `log_path`, or to our own terminal if None."""
    out = log_path.open("wb") if log_path else None
    try:
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    finally:
        if out:
            out.close()


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group for a clean shutdown; SIGKILL what lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # children that outlived their parent
        os.killpg(proc.pid, signal.SIGKILL)


def stop_groups(procs: list[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    """`stop_group` for processes that may stop side by side: all are told at once and share
    one deadline, so the slowest, not the sum, sets how long it takes."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    for proc in procs:
        stop_group(proc, timeout)  # SIGKILLs what is still running


def ensure_port_free(port: int, what: str, env_var: str) -> None:
    """Fail at once, in one line, when a fixed port is already taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise InfraError(
                f"port {port} ({what}) is already in use: stop what holds it "
                f"(`ss -ltnp 'sport = :{port}'`) or set {env_var} to another port"
            ) from None


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def wait_http(url: str, alive: Callable[[], bool], log: Path, timeout: float, what: str) -> None:
    """Block until `url` answers 200; quote `log` when the process dies or stalls."""
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise InfraError(f"{what} exited before it was ready; log {log}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise InfraError(f"{what} not ready at {url} after {timeout:.0f}s\n{tail(log)}")
        time.sleep(0.1)
