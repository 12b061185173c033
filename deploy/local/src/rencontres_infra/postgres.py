"""A throwaway PostgreSQL cluster as FerretDB's backend: Debian's server, our own data dir.

Why PostgreSQL under FerretDB rather than SQLite: FerretDB 1.24 pushes only a bare `{_id: x}`
filter down to SQLite and scans every other query document by document in Go (~0.16 ms per
1 KB document), while on PostgreSQL it pushes equality filters down to SQL. A conditional
update at 5000 documents measured 398 ms on SQLite and 9 ms on PostgreSQL.

PostgreSQL refuses to run as root; as root we run it as the `postgres` system user (which
Debian's package creates) with its data under /var/tmp, where that user can reach it.
"""

import getpass
import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from rencontres_infra.errors import InfraError
from rencontres_infra.procs import tail

SYSTEM_USER = "postgres"
ROOT_DATA_PARENT = Path("/var/tmp/rencontres-postgres")


def binaries() -> Path:
    """The directory holding `initdb` and `postgres` (the newest Debian version installed)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_version)
    if found:
        return found[-1].parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).parent
    raise InfraError(
        "PostgreSQL is not installed: run `apt-get install -y postgresql` (make does it as root)"
    )


def _version(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0


def data_dir_for(state_dir: Path) -> Path:
    """Where the cluster lives: in the state dir, or (as root) under /var/tmp per state dir."""
    if os.geteuid() != 0:
        return state_dir / "postgres"
    key = hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:16]
    return ROOT_DATA_PARENT / key


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SYSTEM_USER, "--", *argv]
    return argv


def _prepare(data_dir: Path, log_path: Path) -> None:
    """initdb once; a data dir left half-made by a dead run is removed and made again."""
    if (data_dir / "PG_VERSION").is_file() and (data_dir / "postgresql.conf").is_file():
        return
    if os.geteuid() == 0:
        ROOT_DATA_PARENT.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(mode=0o700)
        shutil.chown(data_dir, SYSTEM_USER, SYSTEM_USER)
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(mode=0o700, parents=True)
    user = "postgres" if os.geteuid() == 0 else getpass.getuser()
    argv = [str(binaries() / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres"]
    result = subprocess.run(
        _as_owner(argv), capture_output=True, text=True, check=False, timeout=120
    )
    log_path.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise InfraError(f"initdb as {user} failed in {data_dir}:\n{tail(log_path)}")


def start(state_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start the cluster on 127.0.0.1:port in its own process group; return without waiting."""
    data_dir = data_dir_for(state_dir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _prepare(data_dir, log_path.with_suffix(".initdb.log"))
    argv = [
        str(binaries() / "postgres"), "-D", str(data_dir), "-p", str(port),
        "-k", str(data_dir), "-c", "listen_addresses=127.0.0.1",
        # A development server: durability across power loss is not worth its cost here.
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=200", "-c", "shared_buffers=128MB",
        # FerretDB's prepared statements name the field as a parameter (`_jsonb->$1 @> $2`);
        # only a plan made for the actual values can match the `_id` index (install_id_indexes).
        "-c", "plan_cache_mode=force_custom_plan",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        return subprocess.Popen(
            _as_owner(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def wait_ready(
    port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30.0
) -> None:
    """Block until `pg_isready` says the server accepts connections."""
    deadline = time.monotonic() + timeout
    probe = [str(binaries() / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]
    while True:
        if proc.poll() is not None:
            raise InfraError(f"PostgreSQL exited with code {proc.returncode}:\n{tail(log_path)}")
        if _listening(port) and subprocess.run(probe, check=False).returncode == 0:
            return
        if time.monotonic() > deadline:
            raise InfraError(f"PostgreSQL not ready after {timeout:.0f}s:\n{tail(log_path)}")
        time.sleep(0.1)


# Every table with FerretDB's `_jsonb jsonb` column (its collections and its per-database
# metadata table) gets a GIN index on `_jsonb->'_id'`: at once for the tables already there, and
# from an event trigger for each table created later. Safe to run again.
_ID_INDEX_SQL = """
CREATE OR REPLACE FUNCTION public.rencontres_index_id(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = '_jsonb'
               AND atttypid = 'jsonb'::regtype AND NOT attisdropped)
       AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       JOIN pg_am am ON am.oid = c.relam
                       WHERE i.indrelid = tbl AND am.amname = 'gin') THEN
        EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb->''_id'') jsonb_path_ops)', tbl);
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION public.rencontres_index_id_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    created record;
BEGIN
    FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
                   WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
        PERFORM public.rencontres_index_id(created.objid::regclass);
    END LOOP;
END
$fn$;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'rencontres_index_id') THEN
        CREATE EVENT TRIGGER rencontres_index_id ON ddl_command_end
            WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.rencontres_index_id_on_create();
    END IF;
END
$do$;

SELECT public.rencontres_index_id(c.oid) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema');
"""


def install_id_indexes(port: int) -> None:
    """Index `_id` of every FerretDB collection in a way its queries can use.

    FerretDB 1.24 pushes `{_id: x}` down as `_jsonb->$1 @> $2` (containment, field name as a
    parameter), which cannot use the btree index it creates on `(_jsonb->'_id')`: every find or
    update by `_id` scanned the whole table. A GIN `jsonb_path_ops` index on that expression
    serves `@>`, once `plan_cache_mode=force_custom_plan` (see `start`) folds the field name in.
    """
    argv = [
        str(binaries() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres",
    ]  # fmt: skip
    result = subprocess.run(
        argv, input=_ID_INDEX_SQL, capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise InfraError(f"installing the _id indexes in PostgreSQL failed:\n{output}")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def forget(state_dir: Path) -> None:
    """Delete a throwaway cluster's data (tests), once its server has stopped."""
    shutil.rmtree(data_dir_for(state_dir), ignore_errors=True)
