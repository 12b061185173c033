"""Local Mailpit: the SMTP catcher people look at and tests read, built from its Go module.

Like FerretDB, Mailpit is built here rather than downloaded as a release binary: the only
network we can count on is the package registries. The Go module proxy serves Mailpit's source,
but not the web interface its binary embeds (`server/ui/dist`, built by its release pipeline
and absent from the module zip). So the first `provision` copies the module's source into the
cache, installs the web interface's npm dependencies from the lockfile Mailpit ships
(`npm ci`), runs its build script (esbuild), then `go build`s the binary. Nothing lands in the
repository; the source copy (with its node_modules) and the binary stay in the cache, so a
second call is a mere stat.

Version: v1.27.11, not the newer v1.33.1, because v1.33.1's package-lock.json pins
sass-embedded 1.108.1, which the npm registry no longer serves (404), so its `npm ci` cannot
succeed; v1.27.11's lockfile installs whole. Chaos and the API we use exist in both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rencontres_infra.errors import InfraError
from rencontres_infra.procs import wait_http

MODULE = "github.com/axllent/mailpit"
MAILPIT_VERSION = "v1.27.11"
#: The module zip's hash as the Go checksum database knows it: a different zip is refused.
MODULE_SUM = "h1:57cO1Tlekptm80OBxry0wW/9Nc1WxzEjh12SC2LCrx0="

_BUILD_ARGS = ("build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o")
_BUILD_ENV = {"CGO_ENABLED": "0"}  # pure-Go SQLite (modernc): no C compiler needed
_NPM_CI = ("ci", "--no-audit", "--no-fund", "--loglevel=error")
_STEP_TIMEOUT_S = 1200.0


def _build_key() -> str:
    """Anything that changes how the binary is made changes its name, so it is rebuilt."""
    recipe = (MAILPIT_VERSION, MODULE_SUM, _BUILD_ARGS, sorted(_BUILD_ENV.items()), _NPM_CI)
    return hashlib.sha256(repr(recipe).encode()).hexdigest()[:12]


def _run(
    argv: list[str], cwd: Path, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        result = subprocess.run(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_STEP_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise InfraError(f"{what}: `{argv[0]}` is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise InfraError(
            f"{what} took over {_STEP_TIMEOUT_S:.0f}s; check access to the package registry"
        ) from exc
    if result.returncode != 0:
        output = (result.stderr or result.stdout).decode(errors="replace").strip()
        last = "\n".join(output.splitlines()[-30:])
        raise InfraError(f"{what} failed (exit {result.returncode}) in {cwd}:\n{last}")
    return result


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InfraError(f"`{name}` is not on PATH: {hint}")
    return path


def _source(out_dir: Path, go: str, say: Callable[[str], None]) -> Path:
    """A writable copy of Mailpit's module source with its web interface built in it."""
    src = out_dir / f"src-{MAILPIT_VERSION}"
    if (src / "server" / "ui" / "dist" / "app.js").is_file():
        return src
    npm = _tool("npm", "install Node.js and npm (Debian: `apt-get install npm`) to build Mailpit")
    say(f"Mailpit {MAILPIT_VERSION}: downloading its Go module")
    download = [go, "mod", "download", "-json", f"{MODULE}@{MAILPIT_VERSION}"]
    info = json.loads(_run(download, out_dir, "`go mod download` of Mailpit").stdout)
    if info.get("Sum") != MODULE_SUM:
        raise InfraError(
            f"Mailpit {MAILPIT_VERSION}'s module hash is {info.get('Sum')}, expected {MODULE_SUM}"
        )
    work = Path(tempfile.mkdtemp(prefix=".src-", dir=out_dir))
    try:
        shutil.copytree(info["Dir"], work, dirs_exist_ok=True)
        for path in (work, *work.rglob("*")):  # the module cache is read-only
            path.chmod(path.stat().st_mode | 0o200)
        say(f"Mailpit {MAILPIT_VERSION}: `npm ci` of its web interface (about 20 s)")
        _run([npm, *_NPM_CI], work, "`npm ci` of Mailpit's web interface")
        say(f"Mailpit {MAILPIT_VERSION}: building its web interface (esbuild)")
        _run([npm, "run", "build"], work, "`npm run build` of Mailpit's web interface")
        shutil.rmtree(src, ignore_errors=True)
        os.rename(work, src)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return src


def provision(cache_dir: Path, say: Callable[[str], None] = print) -> Path:
    """Return the Mailpit binary, building it (npm, then Go) only when none is cached.

    A cold build takes a few minutes on two cores (the Go build is most of it), and says what it
    is doing as it goes; builds write to temporary names renamed into place, so an interrupted
    one leaves nothing later calls would trust.
    """
    out_dir = cache_dir / "mailpit"
    binary = out_dir / f"mailpit-{MAILPIT_VERSION}-{_build_key()}"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    go = _tool("go", "install Go >= 1.24 (https://go.dev/dl/) to build the local Mailpit")
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    src = _source(out_dir, go, say)
    say(f"Mailpit {MAILPIT_VERSION}: `go build` (a few minutes the first time)")
    fd, tmp_name = tempfile.mkstemp(prefix=".mailpit-build-", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _run([go, *_BUILD_ARGS, str(tmp), "."], src, "`go build` of Mailpit", _BUILD_ENV)
        tmp.chmod(0o755)
        os.rename(tmp, binary)
    finally:
        tmp.unlink(missing_ok=True)
    say(f"Mailpit {MAILPIT_VERSION}: built in {time.monotonic() - started:.0f} s: {binary}")
    return binary


def argv(binary: Path, data_dir: Path, smtp_port: int, http_port: int) -> list[str]:
    """Mailpit on 127.0.0.1: SMTP, web interface and API; chaos on (tests provoke SMTP errors
    through `PUT /api/v1/chaos`); no limit on stored messages (the default keeps 500, which a
    benchmark of 10,000 emails would overrun); no call home, no reverse DNS."""
    return [
        str(binary),
        "--smtp", f"127.0.0.1:{smtp_port}",
        "--listen", f"127.0.0.1:{http_port}",
        "--database", str(data_dir / "mailpit.db"),
        "--max", "0",
        "--enable-chaos",
        "--smtp-auth-accept-any",
        "--smtp-auth-allow-insecure",
        "--smtp-disable-rdns",
        "--disable-version-check",
        "--label", "Rencontres",
    ]  # fmt: skip


def wait_ready(url: str, pid_alive: Callable[[], bool], log: Path, timeout: float = 30.0) -> None:
    """Block until Mailpit's `/readyz` answers 200; quote its log when it dies or stalls."""
    wait_http(f"{url}/readyz", pid_alive, log, timeout, "Mailpit")
