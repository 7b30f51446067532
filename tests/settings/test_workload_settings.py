"""Workload settings: the access catalog's services, levels and ARNs, resources, health and user, each
problem reported with its key path before any resource is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import settings
from components.access_catalog import CATALOG, DUPLICATE_RESOURCE, UNKNOWN_LEVEL, UNKNOWN_SERVICE, WRONG_RESOURCE
from settings import ProbeKind
from tests.conftest import STACKS, stack_file_config

W = "nhi-platform:workloads"


def problems_after(change: Callable[[dict[str, Any]], None], stack: str = "prod") -> dict[str, str]:
    config = stack_file_config(stack)
    change(config)
    with pytest.raises(settings.SettingsError) as error:
        settings.parse_config(config)
    return {p.path: p.message for p in error.value.problems}


def workload(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(w for w in config[W] if w["name"] == name)


def index_of(name: str, stack: str = "prod") -> int:
    return next(i for i, w in enumerate(stack_file_config(stack)[W]) if w["name"] == name)


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_files_are_valid_and_get_hardened_defaults(stack: str) -> None:
    loaded = settings.parse_config(stack_file_config(stack))
    for w in loaded.workloads:
        assert (w.resources.cpu_request, w.resources.cpu_limit) == ("100m", "500m")
        assert (w.resources.memory_request, w.resources.memory_limit) == ("128Mi", "256Mi")
        assert w.health.probe is (ProbeKind.TCP if w.name == "ledger" else ProbeKind.HTTP)  # ledger speaks Postgres
        assert w.run_as_user == 10001 and w.kubernetes_api_access is False


def test_an_unknown_service_is_an_error_naming_the_service_key() -> None:
    i = index_of("catalog")
    found = problems_after(lambda c: workload(c, "catalog")["access"][0].update(service="s4"))
    assert found == {f"{W}[{i}].access[0].service": UNKNOWN_SERVICE.format(known=", ".join(CATALOG), got="s4")}


def test_an_unknown_level_is_an_error_naming_the_level_key() -> None:
    i = index_of("catalog")
    found = problems_after(lambda c: workload(c, "catalog")["access"][1].update(level="admin"))
    assert found == {
        f"{W}[{i}].access[1].level": UNKNOWN_LEVEL.format(
            service="dynamodb", known=", ".join(CATALOG["dynamodb"].levels), got="admin"
        )
    }


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:s3:::*",
        "arn:aws:s3:::acme-prod-receipts/*",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/prod-catalog",
        "*",
    ],
)
def test_a_resource_that_is_not_a_plain_arn_of_the_service_is_refused(arn: str) -> None:
    i = index_of("payments")
    found = problems_after(lambda c: workload(c, "payments")["access"][0].update(resources=[arn]))
    entry = CATALOG["s3"]
    assert found == {
        f"{W}[{i}].access[0].resources[0]": WRONG_RESOURCE.format(noun=entry.noun, example=entry.example, got=arn)
    }


def test_a_resource_listed_twice_is_refused() -> None:
    i = index_of("payments")
    arn = "arn:aws:s3:::acme-prod-receipts"
    found = problems_after(lambda c: workload(c, "payments")["access"][0].update(resources=[arn, arn]))
    assert found == {f"{W}[{i}].access[0].resources[1]": DUPLICATE_RESOURCE.format(got=arn)}


def test_access_problems_are_reported_together_with_other_problems() -> None:
    i, j = index_of("auth"), index_of("mailer")

    def change(c: dict[str, Any]) -> None:
        workload(c, "auth")["access"][1]["level"] = "write"
        workload(c, "mailer")["replicas"] = 0

    assert set(problems_after(change)) == {f"{W}[{i}].access[1].level", f"{W}[{j}].replicas"}


def test_requests_above_limits_are_refused() -> None:
    i = index_of("cart")
    found = problems_after(lambda c: workload(c, "cart").update(resources={"cpuRequest": "2", "cpuLimit": "500m"}))
    assert found == {f"{W}[{i}].resources": "expected cpuRequest <= cpuLimit, got 2 > 500m"}


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("resources", {"memoryLimit": "1G"}, "resources.memoryLimit"),
        ("resources", {"cpuLimit": "0"}, "resources.cpuLimit"),
        ("health", {"probe": "exec"}, "health.probe"),
        ("health", {"readinessPath": "ready"}, "health.readinessPath"),
        ("runAsUser", 0, "runAsUser"),
        ("runAsUser", 999, "runAsUser"),
    ],
)
def test_bad_pod_settings_name_their_key(key: str, value: Any, path: str) -> None:
    i = index_of("cart")
    assert set(problems_after(lambda c: workload(c, "cart").update({key: value}))) == {f"{W}[{i}].{path}"}
