"""The README's Workloads section: the access-level table is generated from the catalog and up to date, and
the example workload in it is valid settings."""

from __future__ import annotations

import re

import yaml

import settings
from components.access_catalog import CATALOG
from components.access_readme import BEGIN, END, README, main, render, updated
from tests.conftest import stack_file_config


def test_the_access_table_in_the_readme_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    assert updated(text) == text, "run `python -m components.access_readme`"
    assert main(["--check"]) == 0


def test_a_stale_table_is_detected() -> None:
    text = README.read_text(encoding="utf-8")
    stale = text.replace("`sns:Publish` on the named ARN", "`sns:Publish` on `*`")
    assert stale != text and updated(stale) == text


def test_every_service_and_level_has_a_row() -> None:
    table = render()
    rows = set(re.findall(r"^\| `([a-z0-9]+)` \| `([a-z]+)` \|", table, flags=re.M))
    assert rows == {(service, level) for service, entry in CATALOG.items() for level in entry.levels}
    assert table.startswith(BEGIN) and table.endswith(END)


def test_the_example_workload_in_the_readme_is_valid_settings() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Add a workload", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, flags=re.S).group(1).replace("<64 hex>", "a" * 64)
    (workload,) = yaml.safe_load(example)
    config = stack_file_config("prod")
    config["nhi-platform:workloads"].append(workload)
    by_name = {w["name"]: w for w in config["nhi-platform:workloads"]}
    by_name["checkout"]["egress"].append({"to": "invoices", "port": 8080})
    by_name["ledger"]["ingress"].append({"from": "invoices", "port": 5432})
    loaded = settings.parse_config(config)
    assert "invoices" in {w.name for w in loaded.workloads}
