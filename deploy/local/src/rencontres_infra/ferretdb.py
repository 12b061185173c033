"""Local FerretDB (MongoDB wire protocol over SQLite) for development and tests.

FerretDB is built from its Go module through the tiny program in ``deploy/local/ferretdb``
rather than downloaded as a release binary or run in Docker: the only network we can count on
is the package registries (the Go module proxy serves FerretDB), and no Docker engine exists.
The SQLite backend is pure Go (modernc), so no C toolchain or PostgreSQL is needed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from rencontres_infra.errors import InfraError
from rencontres_infra.procs import stop_group

# Keep equal to the `require github.com/FerretDB/FerretDB` line of ferretdb/go.mod; a test checks.
FERRETDB_VERSION = "v1.24.2"

#: The Go program that embeds FerretDB behind a write-serialising proxy (go.mod, go.sum, *.go).
SOURCE_DIR = Path(__file__).resolve().parents[2] / "ferretdb"
# Part of the cache key too, so that changing how we build also rebuilds.
_BUILD_ARGS = ("build", "-trimpath", "-buildvcs=false", "-o")
# Pure Go (modernc SQLite): a static binary that needs no C compiler to build.
_BUILD_ENV = {"CGO_ENABLED": "0"}
_BUILD_TIMEOUT_S = 900.0
_LOG_TAIL_LINES = 30


def _source_key() -> str:
    """Hash the sources so that any change to the program or its pins triggers a rebuild."""
    digest = hashlib.sha256(repr((_BUILD_ARGS, sorted(_BUILD_ENV.items()))).encode())
    names = ["go.mod", "go.sum", *sorted(p.name for p in SOURCE_DIR.glob("*.go"))]
    for name in names:
        path = SOURCE_DIR / name
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InfraError(
                f"FerretDB source {path} is unreadable ({exc}); restore it from git"
            ) from exc
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def provision(cache_dir: Path) -> Path:
    """Return the FerretDB binary, building it with `go build` only when no build is cached.

    The binary is keyed by a hash of go.mod, go.sum and the Go files, so editing any rebuilds,
    and a second call is a mere stat. The build writes to a temporary name and is renamed into
    place, so an interrupted build never leaves a truncated binary that later calls would trust,
    and concurrent callers at worst build twice. Go's own module and build caches (outside the
    repository) make rebuilds cheap.
    """
    out_dir = cache_dir / "ferretdb"
    binary = out_dir / f"ferretdb-{FERRETDB_VERSION}-{_source_key()}"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary

    go = shutil.which("go")
    if go is None:
        raise InfraError(
            "`go` is not on PATH: install Go >= 1.24 (https://go.dev/dl/) to build local FerretDB"
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".ferretdb-build-", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            result = subprocess.run(
                [go, *_BUILD_ARGS, str(tmp), "."],
                cwd=SOURCE_DIR,
                env={**os.environ, **_BUILD_ENV},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_BUILD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise InfraError(
                f"`go build` of FerretDB took over {_BUILD_TIMEOUT_S:.0f}s; "
                "check access to the Go module proxy (GOPROXY)"
            ) from exc
        if result.returncode != 0:
            output = (result.stderr or result.stdout).decode(errors="replace").strip()
            tail = "\n".join(output.splitlines()[-_LOG_TAIL_LINES:])
            raise InfraError(
                f"`go build` of FerretDB in {SOURCE_DIR} failed (exit {result.returncode}):\n{tail}"
            )
        tmp.chmod(0o755)
        os.rename(tmp, binary)
    finally:
        tmp.unlink(missing_ok=True)
    return binary


def start(
    binary: Path,
    data_dir: Path,
    port: int,
    log_path: Path,
    postgresql_url: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start FerretDB on 127.0.0.1:port, on PostgreSQL when a URL is given, else on SQLite
    files in data_dir (which also holds FerretDB's socket); return without waiting.

    The server gets its own process group (so a Ctrl-C meant for the test runner does not reach
    it half-way, and `stop` can signal the whole group), and its stdout and stderr go to
    log_path so that `wait_ready` can quote them when it fails to start.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                str(binary),
                "-listen",
                f"127.0.0.1:{port}",
                "-data",
                str(data_dir),
                *(["-postgresql-url", postgresql_url] if postgresql_url else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Go collects garbage every time the heap doubles (GOGC=100); FerretDB allocates a
            # lot per command, and a heap of ~30 MB could be 4 times larger: 8 % less CPU per
            # command measured with GOGC=400. The environment still wins.
            env={"GOGC": "400", **os.environ},
        )


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop the server with SIGTERM (clean SQLite shutdown), then SIGKILL if it lingers."""
    stop_group(proc, timeout)


def _log_tail(log_path: Path) -> str:
    """Return the last lines of the server log, which usually say why it did not start."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(empty log)"


def _bson_ping() -> bytes:
    """Encode the BSON document {ping: 1, $db: "admin"} by hand to stay stdlib-only."""
    db = b"admin\x00"
    elements = (
        b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", len(db)) + db
    )
    return struct.pack("<i", 4 + len(elements) + 1) + elements + b"\x00"


_OP_MSG = 2013


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    """Read exactly size bytes; a closed connection means the server is not ready."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks += chunk
    return bytes(chunks)


def _ping(port: int, timeout: float) -> bool:
    """Send one OP_MSG `ping` and return whether the reply carries ok: 1.

    A raw OP_MSG keeps this module free of driver dependencies and of a driver's own retry
    and server-selection timeouts, which would blur the readiness deadline.
    """
    body = struct.pack("<I", 0) + b"\x00" + _bson_ping()  # flagBits, section kind 0, document
    header = struct.pack("<iiii", 16 + len(body), 1, 0, _OP_MSG)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(header + body)
            length, _, _, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
            reply = _recv_exact(sock, length - 16)
    except OSError:
        return False
    if opcode != _OP_MSG:
        return False
    ok_double = b"\x01ok\x00" + struct.pack("<d", 1.0)
    ok_int = b"\x10ok\x00" + struct.pack("<i", 1)
    return ok_double in reply or ok_int in reply


def wait_ready(
    port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30.0
) -> None:
    """Block until the server answers a MongoDB `ping` on 127.0.0.1:port.

    Raise InfraError quoting the end of the log if the process exits first (port taken, bad
    data directory, ...) or the deadline passes, so the failure explains itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise InfraError(
                f"FerretDB exited with code {code} before it was ready; log {log_path}:\n"
                f"{_log_tail(log_path)}"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InfraError(
                f"FerretDB did not answer `ping` on port {port} within {timeout:.0f}s; "
                f"log {log_path}:\n{_log_tail(log_path)}"
            )
        if _ping(port, min(2.0, max(remaining, 0.1))):
            return
        time.sleep(0.05)
