"""The state directory of a benchmark's own platform (Kafka's log, FerretDB's PostgreSQL,
Mailpit's messages, the services' logs: about 100 MB a run), removed when the benchmark's
process exits, however it ends short of a SIGKILL; `mkdtemp` alone left one behind per run.
`BENCH_KEEP_STATE=1` keeps it, to read the logs of a run that went wrong."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path


def scratch_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.environ.get("BENCH_KEEP_STATE") != "1":
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
