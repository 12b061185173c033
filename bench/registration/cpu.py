"""CPU time per process group, from Linux's /proc: what each part of the platform spent."""

import os
from pathlib import Path


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each process group and its descendants, reaped ones included.

    A process belongs to the group of its nearest ancestor (or itself) whose process group is
    listed: PostgreSQL's backends start sessions of their own but descend from the postmaster.
    """
    tick = os.sysconf("SC_CLK_TCK")
    parent, group, spent = {}, {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        parent[pid], group[pid] = int(fields[1]), int(fields[2])
        spent[pid] = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    name_of = {pgid: name for name, pgid in groups.items()}
    totals = dict.fromkeys(groups, 0.0)
    for pid, seconds in spent.items():
        ancestor = pid
        while ancestor in group and group[ancestor] not in name_of:
            ancestor = parent[ancestor]
        if ancestor in group:
            totals[name_of[group[ancestor]]] += seconds
    return totals
