"""The deploy files are valid: `docker compose config` accepts deploy/compose.yaml, and the
compose file and the Kubernetes manifests say what the docs promise (ports, probes, images).

Needs a Compose CLI, not a Docker engine: `docker compose` (the v2 plugin) when present,
else `docker-compose` (Debian's package, installed by the setup step). Without either the test
fails and names the install command: it never skips.
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = "deploy/images/service.Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"
APP_SERVICES = {"registration": 8001, "billing": 8002, "notify": 8003, "ops": 8004}
NO_DATABASE = {"ops"}
"""The dashboard owns no data: it needs Kafka, not MongoDB."""
INSTALL_HINT = "apt-get install -y docker-compose  (Debian's Compose CLI; or the v2 plugin)"


def _compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.fail(f"no Compose CLI (`docker compose` or `docker-compose`): run `{INSTALL_HINT}`")


def _config(*args: str, file: Path = COMPOSE_FILE, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COMPOSE_") and k not in {"KAFKA_PORT", "MONGODB_PORT"}
    }
    return subprocess.run(
        [*_compose_cli(), "-f", str(file), "--profile", "app", "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        cwd=file.parent,
    )


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _k8s_docs() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def test_compose_config_accepts_the_file() -> None:
    result = _config("--quiet")
    assert result.returncode == 0, result.stderr


def test_compose_config_interpolates_the_host_ports() -> None:
    result = _config(KAFKA_PORT="29991", MONGODB_PORT="29992")
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1:29991" in result.stdout  # the advertised host listener follows KAFKA_PORT
    assert "29992" in result.stdout
    for name in ("kafka", "mongodb", *APP_SERVICES):
        assert f"  {name}:" in result.stdout, f"{name} missing from the resolved config"


def test_compose_config_rejects_an_invalid_file(tmp_path: Path) -> None:
    """The check above means something: the CLI does validate."""
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  x:\n    image: busybox\n    not_a_compose_key: 1\n")
    assert _config("--quiet", file=broken).returncode != 0


def test_infra_ports_default_to_the_documented_ones() -> None:
    services = _compose()["services"]
    assert "${KAFKA_PORT:-19092}:9092" in services["kafka"]["ports"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert "://127.0.0.1:${KAFKA_PORT:-19092}" in advertised
    assert "${MONGODB_PORT:-27027}:27017" in services["mongodb"]["ports"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["mongodb"]["image"] == "mongo:8"
    # `up kafka mongodb` must start infra only: the rest sits behind a profile.
    assert "profiles" not in services["kafka"] and "profiles" not in services["mongodb"]


def test_every_service_has_a_healthcheck_and_apps_build_from_the_dockerfile() -> None:
    services = _compose()["services"]
    for name, spec in services.items():
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name, port in APP_SERVICES.items():
        spec = services[name]
        assert spec["build"]["dockerfile"] == DOCKERFILE
        assert (COMPOSE_FILE.parent / spec["build"]["context"] / DOCKERFILE).is_file()
        assert spec["build"]["args"]["SERVICE"] == name
        assert spec["profiles"] == ["app"]
        assert f"{port}:{port}" in spec["ports"]
        assert spec["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:29092"
        assert spec["environment"][f"{name.upper()}_HOST"] == "0.0.0.0"
        needed = {"kafka"} if name in NO_DATABASE else {"kafka", "mongodb"}
        assert needed <= set(spec["depends_on"])
        assert all(d["condition"] == "service_healthy" for d in spec["depends_on"].values())


def test_dockerfile_installs_one_package_and_checks_healthz() -> None:
    text = (ROOT / DOCKERFILE).read_text()
    assert "FROM ${PYTHON_IMAGE} AS build" in text and "python:3.11-slim" in text
    assert 'uv sync --frozen --no-dev --package "${PACKAGE}"' in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "\nUSER app" in text
    assert (ROOT / ".dockerignore").is_file()


def test_k8s_manifests_parse_and_probe_readyz() -> None:
    docs = _k8s_docs()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert set(deployments) == set(APP_SERVICES) == set(services)
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    assert "rencontres-config" in configmaps
    for name, port in APP_SERVICES.items():
        spec = deployments[name]["spec"]
        assert 1 <= spec["replicas"] <= 6  # more consumers than partitions would idle
        (container,) = spec["template"]["spec"]["containers"]
        named_ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert {"configMapRef": {"name": "rencontres-config"}} in container["envFrom"]
        (svc_port,) = services[name]["spec"]["ports"]
        target = svc_port["targetPort"]
        resolved = named_ports[target] if isinstance(target, str) else target
        assert resolved in named_ports.values() and resolved == port
        assert services[name]["spec"]["selector"].items() <= (
            spec["template"]["metadata"]["labels"].items()
        )
    staff = [
        e
        for e in deployments["registration"]["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "REGISTRATION_STAFF_TOKEN"
    ]
    assert staff and staff[0]["valueFrom"]["secretKeyRef"]["key"] == "REGISTRATION_STAFF_TOKEN"


def test_billing_replicas_of_two_versions_never_run_side_by_side() -> None:
    """Billing's numbering keeps its state across documents whose layout a version may change
    (drafts moved to their own collection, numbers given by inserting): a replica of the
    version before, still numbering during a rolling update, would give back numbers the new
    one inserted. Old replicas stop before new ones start."""
    deployments = {d["metadata"]["name"]: d for d in _k8s_docs() if d["kind"] == "Deployment"}
    assert deployments["billing"]["spec"].get("strategy") == {"type": "Recreate"}
