"""CPU time per process group, from Linux's /proc: what each part of the platform spent."""

import os
from pathlib import Path


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each process group, reaped children included.

    PostgreSQL's backends, Kafka's threads and FerretDB's goroutines all count for their group.
    """
    totals = dict.fromkeys(groups, 0.0)
    name_of = {pgid: name for name, pgid in groups.items()}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        name = name_of.get(int(fields[2]))  # pgrp
        if name is not None:  # utime, stime, cutime, cstime
            totals[name] += sum(int(x) for x in fields[11:15]) / tick
    return totals
