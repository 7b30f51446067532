"""A misspelt setting in a pack config from outside the repository is an error, never silently ignored.

Two places catch it: `nhi preflight` refuses the config before any policy runs (exit 2, naming the file, the
policy and the property), and the pack itself reports it as a violation of the rule, which is what
`pulumi preview --policy-pack-config` shows (the engine cannot: a policy's config schema reaches it without
`additionalProperties`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi.cli import main
from nhi_rules.aws import eks_cluster_disallow_public_endpoint as endpoint
from nhi_rules.lib.rule import ALLOW_EXEMPTIONS, CONFIG_UNKNOWN, NhiPolicy, effective_config
from nhi_rules.registry import RULES

TIDY = Path(__file__).resolve().parents[1] / "programs" / "tidy"
TYPO = "allowPublicCidr"


def preflight(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, str]:
    code = main(["preflight", "--program", str(TIDY), "--stack", "test", "--policy-pack-config", str(config)])
    return code, capsys.readouterr().err


def test_preflight_refuses_a_misspelt_setting_naming_file_policy_and_property(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "team-prod.json"
    config.write_text(json.dumps({endpoint.NAME: {TYPO: False}}))
    code, err = preflight(capsys, config)
    assert code == 2
    assert str(config) in err and repr(endpoint.NAME) in err and repr(TYPO) in err, err
    assert "Traceback" not in err


def test_preflight_takes_the_correct_spelling(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "team-prod.json"
    config.write_text(json.dumps({endpoint.NAME: {"allowPublicCidrs": False}}))
    code, err = preflight(capsys, config)
    assert code == 0, err


def test_the_pack_reports_a_misspelt_setting_and_keeps_the_default() -> None:
    config, problems = effective_config(endpoint.NAME, endpoint.POLICY.config_properties, {TYPO: True})
    assert config == {"allowPublicCidrs": False, ALLOW_EXEMPTIONS: False}
    assert problems == [
        CONFIG_UNKNOWN.format(rule=endpoint.NAME, key=TYPO, known=f"allowPublicCidrs, {ALLOW_EXEMPTIONS}")
    ]


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_every_rule_reports_a_setting_it_does_not_have(rule: NhiPolicy) -> None:
    defaults = {key: prop.get("default") for key, prop in rule.config_properties.items()}
    config, problems = effective_config(rule.name, rule.config_properties, {**defaults, "nonsense": 1})
    assert config == defaults
    assert [problem.split(" is not a setting")[0] for problem in problems] == [f"pack config `{rule.name}.nonsense`"]
