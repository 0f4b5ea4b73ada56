"""Every variable set in compose and in the kustomize base is a setting of the process
it reaches (prefix + field name), and the settings it gives make a valid settings object."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.deploy.manifests import (
    INGEST,
    KUSTOMIZATIONS,
    NON_SETTINGS_VARIABLES,
    Process,
    compose_environment,
    container_environment,
    k8s_by_kind,
    load_compose,
    process_of,
    required_variables,
)
from tests.settings_tables import variable_names


@pytest.fixture(autouse=True)
def _no_settings_from_this_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings classes also read os.environ: only the manifests may speak here.
    for name in [n for n in os.environ if n.startswith("CALIPER_")]:
        monkeypatch.delenv(name)


def _our_services() -> dict[str, tuple[Process | None, dict[str, str]]]:
    services = load_compose()["services"]
    return {
        name: (process_of(service["command"]), compose_environment(service))
        for name, service in services.items()
        if service.get("image", "").startswith("caliper-pipeline")
    }


def _k8s_containers() -> dict[str, tuple[Process | None, dict[str, str]]]:
    """Every container of the base and of the example overlay, as each renders."""
    return {
        f"{rendering} {name}/{container['name']}": (
            process_of(container["command"]),
            container_environment(container, root),
        )
        for rendering, root in KUSTOMIZATIONS.items()
        for name, deployment in k8s_by_kind("Deployment", root).items()
        for container in deployment["spec"]["template"]["spec"]["containers"]
    }


def _check(where: str, process: Process | None, environment: dict[str, str]) -> None:
    ours = {k for k in environment if k.startswith("CALIPER_")}
    if process is None:
        assert not ours, f"{where}: sets {sorted(ours)} but reads no settings"
        return
    known = variable_names(process.prefix, process.settings)
    also = variable_names("CALIPER_", process.also) if process.also is not None else {}
    # The image's own CALIPER_HOST/PORT reach every process: only the front door reads them.
    unknown = ours - set(known) - set(also)
    assert not unknown, f"{where}: {sorted(unknown)} are not settings of {process.command}"
    others = set(environment) - ours - NON_SETTINGS_VARIABLES
    assert not others, f"{where}: {sorted(others)} are read by nothing"
    missing = required_variables(process) - ours
    assert not missing, f"{where}: required settings not set: {sorted(missing)}"
    values: dict[str, Any] = {known[k]: v for k, v in environment.items() if k in known}
    settings = process.settings(**values)  # runs the classes' own validators
    if process is INGEST and getattr(settings, "auth_enabled", False):
        # `serve` with auth on needs the issuer to check tokens against.
        assert getattr(settings, "auth_issuer", None), f"{where}: auth on, no AUTH_ISSUER"
        assert getattr(settings, "auth_jwks_url", None), f"{where}: auth on, no AUTH_JWKS_URL"


@pytest.mark.parametrize(("service", "spec"), sorted(_our_services().items()))
def test_compose_environment_matches_settings(
    service: str, spec: tuple[Process | None, dict[str, str]]
) -> None:
    _check(f"compose {service}", *spec)


@pytest.mark.parametrize(("container", "spec"), sorted(_k8s_containers().items()))
def test_k8s_environment_matches_settings(
    container: str, spec: tuple[Process | None, dict[str, str]]
) -> None:
    _check(f"k8s {container}", *spec)


def test_every_process_is_deployed_in_both() -> None:
    compose = {p.command for p, _ in _our_services().values() if p is not None}
    k8s = {p.command for p, _ in _k8s_containers().values() if p is not None}
    assert compose == k8s == {"serve", "aggregate", "results", "analytics"}


def test_idempotent_producers_are_on_against_apache_kafka() -> None:
    for where, (process, environment) in {**_our_services(), **_k8s_containers()}.items():
        if process is None:
            continue
        flags = [k for k in environment if k.endswith("ENABLE_IDEMPOTENCE")]
        has_producer_setting = any(
            name.endswith("enable_idempotence") for name in process.settings.model_fields
        )
        if has_producer_setting:
            assert flags, f"{where}: idempotence not set"
            assert all(environment[f] == "true" for f in flags), where
