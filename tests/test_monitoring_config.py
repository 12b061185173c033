"""deploy/prometheus and deploy/grafana are valid and name only metrics the services export.

`promtool` (Debian's `prometheus` package, installed by `make test-deps`) checks the scrape
configuration and the rules and runs the rules' unit tests; then every metric an alert rule
or a Grafana panel reads must appear on the `/metrics` page of a running service.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
GENERATED_BY_PROMETHEUS = {"up"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, labels and keywords left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        following = expr[match.end() :].lstrip()[:1]
        if following != "(" and match.group(0) not in KEYWORDS:
            names.add(match.group(0))
    return names


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, handler) (rate(http_x_bucket{a="b"}[5m])))'
        ' / clamp_min(sum(up{job=~"r.*"}), 1) > 0.1 and on (g) foo_total'
    )
    assert metric_names(expr) == {"http_x_bucket", "up", "foo_total"}


def used_metrics() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            for name in metric_names(rule["expr"]):
                used.setdefault(name, set()).add(f"alert {rule['alert']}")
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                for name in metric_names(target["expr"]):
                    used.setdefault(name, set()).add(f"{path.name}: {panel['title']}")
    return used


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool is missing: apt-get install -y prometheus (or make test-deps)")
    return found


def test_promtool_accepts_the_configuration_and_the_rules_pass_their_tests() -> None:
    tool = promtool()
    for args in (["check", "config", "prometheus.yml"], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run(
            [tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.infra
async def test_every_metric_rules_and_dashboards_use_is_exported(
    urls: dict[str, str], http: httpx.AsyncClient
) -> None:
    exported: set[str] = set()
    for url in urls.values():
        page = (await http.get(f"{url}/metrics")).text
        for family in text_string_to_metric_families(page):
            # declared is exported: a labelled family has no sample before its first event
            exported.add(family.name)
            exported.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
            exported.update(sample.name for sample in family.samples)
    used = used_metrics()
    assert len(used) > 15
    missing = {name: sorted(where) for name, where in used.items() if name not in exported}
    for name in GENERATED_BY_PROMETHEUS:
        missing.pop(name, None)
    assert not missing, f"used but exported by no service: {missing}"
