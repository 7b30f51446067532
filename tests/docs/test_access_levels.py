"""docs/workloads.md: the access-level table is the catalog's, row for row, and the example workload on the page
is valid settings."""

from __future__ import annotations

import re

import yaml

import settings
from components.access_catalog import CATALOG
from docgen import REPO, access_levels
from tests.conftest import stack_file_config

PAGE = REPO / access_levels.PATH


def test_every_service_and_level_has_a_row() -> None:
    table = access_levels.render()
    rows = set(re.findall(r"^\| `([a-z0-9]+)` \| `([a-z]+)` \|", table, flags=re.M))
    assert rows == {(service, level) for service, entry in CATALOG.items() for level in entry.levels}


def test_the_block_on_the_page_is_the_catalogs() -> None:
    block = access_levels.block()
    text = PAGE.read_text(encoding="utf-8")
    assert block.wanted(text) == text, "run `make docs`"
    stale = text.replace("`sns:Publish` on the named ARN", "`sns:Publish` on `*`")
    assert stale != text and block.wanted(stale) == text


def test_the_example_workload_on_the_page_is_valid_settings() -> None:
    section = PAGE.read_text(encoding="utf-8").split("## Add a workload", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, flags=re.S)
    assert match is not None
    (workload,) = yaml.safe_load(match.group(1).replace("<64 hex>", "a" * 64))
    config = stack_file_config("prod")
    config["nhi-platform:workloads"].append(workload)
    by_name = {w["name"]: w for w in config["nhi-platform:workloads"]}
    by_name["checkout"]["egress"].append({"to": "invoices", "port": 8080})
    by_name["ledger"]["ingress"].append({"from": "invoices", "port": 5432})
    loaded = settings.parse_config(config)
    assert "invoices" in {w.name for w in loaded.workloads}
