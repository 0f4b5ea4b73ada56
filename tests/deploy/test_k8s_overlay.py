"""The kustomize base is inert as written; the example overlay is what a deployment sets.

Applying the base must not write anywhere or trust anyone: no OneRoster, no credentials,
only reserved example domains. The overlay sets image registry, namespace, issuer,
OneRoster with its credentials, and runs the writer. Where kubectl is installed, its
`kubectl kustomize` renders both exactly as tests/deploy/kustomize.py does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
import yaml

from consumers.oneroster.settings import ENV_PREFIX, WriterSettings
from tests.deploy.manifests import (
    K8S_BASE,
    K8S_OVERLAY,
    KUSTOMIZATIONS,
    container_environment,
    k8s_by_kind,
    k8s_documents,
)

WRITER: Final = "caliper-oneroster-writer"
# Hosts that may appear in the base: reserved for examples (RFC 2606), or in-cluster names.
_RESERVED: Final = re.compile(r"(^|\.)example\.(org|com|net)$")
_URL: Final = re.compile(r"[a-z][a-z0-9+]*://[^\s\"']+")


@pytest.fixture(autouse=True)
def _no_settings_from_this_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CALIPER_")]:
        monkeypatch.delenv(name)


def _writer(root: Path) -> tuple[dict[str, Any], WriterSettings]:
    deployment = k8s_by_kind("Deployment", root)[WRITER]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    environment = container_environment(container, root)
    fields: dict[str, Any] = {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in environment.items()
        if name.startswith(ENV_PREFIX)
        and name[len(ENV_PREFIX) :].lower() in WriterSettings.model_fields
    }
    return deployment, WriterSettings(**fields)


def _values(root: Path) -> list[str]:
    """Every value of every ConfigMap and Secret."""
    config = [*k8s_by_kind("ConfigMap", root).values(), *k8s_by_kind("Secret", root).values()]
    return [
        str(v) for d in config for v in {**d.get("data", {}), **d.get("stringData", {})}.values()
    ]


def test_the_base_runs_no_writer_and_configures_no_oneroster() -> None:
    deployment, settings = _writer(K8S_BASE)
    assert deployment["spec"]["replicas"] == 0
    # Scaled up by hand, it still consumes nothing (IdleWriter), rather than dead-letter all.
    assert not settings.configured


def test_the_base_holds_no_credentials_and_no_real_host() -> None:
    for value in _values(K8S_BASE):
        assert "CHANGE_ME" not in value
        for url in _URL.findall(value):
            parts = urlsplit(url)
            assert parts.password is None, f"a password in the base: {url}"
            host = parts.hostname or ""
            assert "." not in host or _RESERVED.search(host), f"a real host in the base: {url}"
    secrets = k8s_by_kind("Secret", K8S_BASE)
    assert not secrets[WRITER].get("stringData")


def test_the_overlay_runs_a_configured_writer() -> None:
    deployment, settings = _writer(K8S_OVERLAY)
    assert deployment["spec"]["replicas"] >= 1
    assert settings.configured
    assert settings.client_id
    assert settings.client_secret


def test_the_overlay_sets_registry_namespace_issuer_and_monitoring_labels() -> None:
    documents = k8s_documents(K8S_OVERLAY)
    assert {d["metadata"].get("namespace") for d in documents} == {"caliper"}
    images = {
        c["image"]
        for d in documents
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert all("/" in image.split(":")[0] for image in images), images
    base_issuer = k8s_by_kind("ConfigMap")["caliper-ingest"]["data"]["CALIPER_AUTH_ISSUER"]
    issuer = k8s_by_kind("ConfigMap", K8S_OVERLAY)["caliper-ingest"]["data"]["CALIPER_AUTH_ISSUER"]
    assert issuer != base_issuer
    # The Prometheus Operator only loads what its selectors match: both carry the label.
    monitoring = [d for d in documents if d["kind"] in {"ServiceMonitor", "PrometheusRule"}]
    assert len(monitoring) == 2
    assert len({tuple(sorted(d["metadata"]["labels"].items())) for d in monitoring}) == 1


def test_every_example_value_of_the_overlay_is_marked_to_replace() -> None:
    # Whoever copies it must see which lines to change: the comment says EXAMPLE.
    for path in K8S_OVERLAY.glob("*.yaml"):
        for line in path.read_text().splitlines():
            if re.search(r"example\.(com|org|net)|EXAMPLE-|example-", line.split("#")[0]):
                assert line.rstrip().endswith("# EXAMPLE"), f"{path.name}: {line}"


@pytest.mark.parametrize("root", list(KUSTOMIZATIONS.values()), ids=list(KUSTOMIZATIONS))
def test_kubectl_kustomize_renders_the_same(root: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed: tests/deploy/kustomize.py's rendering is unchecked")
    done = subprocess.run(
        [kubectl, "kustomize", str(root)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout)}
    ours = {(d["kind"], d["metadata"]["name"]): d for d in k8s_documents(root)}
    assert ours == theirs
