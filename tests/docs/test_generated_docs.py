"""Every generated page is current, and the check that says so catches each way a page goes stale: a line
edited by hand, a block edited inside a hand-written page, a page missing, a page left behind by a removed rule,
lost markers and a picture drawn from another inventory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import docgen.__main__ as cli
from docgen import REPO
from docgen.outputs import FIX, Block, Page, Picture, Site

RULE_PAGE = "docs/rules/kms-key-require-rotation.md"


def copy_generated(site: Site, root: Path) -> None:
    """The committed generated files (and the hand-written pages that hold blocks) under another root."""
    for output in site.outputs:
        target = root / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / output.path, target)
    for directory in site.owned_dirs:
        for path in (REPO / directory).rglob("*"):
            if path.is_file():
                target = root / path.relative_to(REPO)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def of_kind(site: Site, kind: type) -> list:
    return [output for output in site.outputs if isinstance(output, kind)]


def test_every_generated_file_in_the_repository_is_current(site: Site) -> None:
    assert site.stale(REPO) == [], f"run `{FIX}`"


def test_the_check_command_passes_on_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--check"]) == cli.EXIT_OK, capsys.readouterr().err


def test_regenerating_into_an_empty_tree_gives_exactly_the_committed_files(site: Site, tmp_path: Path) -> None:
    for block in of_kind(site, Block):  # their prose is hand-written: the source the block is spliced into
        (tmp_path / block.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / block.path, tmp_path / block.path)
    site.write(tmp_path)
    for output in of_kind(site, Page) + of_kind(site, Block):
        assert (tmp_path / output.path).read_bytes() == (REPO / output.path).read_bytes(), output.path
    for picture in of_kind(site, Picture):
        assert picture.current(tmp_path / picture.path) and picture.current(REPO / picture.path)
    for directory in site.owned_dirs:
        generated = {p.relative_to(tmp_path) for p in (tmp_path / directory).rglob("*") if p.is_file()}
        committed = {p.relative_to(REPO) for p in (REPO / directory).rglob("*") if p.is_file()}
        assert generated == committed, f"{directory}: pages missing or left behind; run `{FIX}`"
    assert site.stale(tmp_path) == []


def test_a_line_edited_in_a_generated_page_is_stale_and_rewritten(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    page = tmp_path / RULE_PAGE
    page.write_text(page.read_text().replace("## Remediation", "## How to fix", 1))
    assert site.stale(tmp_path) == [f"{RULE_PAGE} is stale"]
    assert site.write(tmp_path) == [RULE_PAGE]
    assert page.read_bytes() == (REPO / RULE_PAGE).read_bytes()


def test_a_block_is_checked_and_the_prose_around_it_is_left_alone(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    (block,) = [b for b in of_kind(site, Block) if b.path == "docs/workloads.md"]
    page = tmp_path / block.path
    text = page.read_text()
    page.write_text(text.replace("# Workloads and access levels", "# Workloads, edited by hand", 1))
    assert site.stale(tmp_path) == []
    head, marker, rest = page.read_text().partition(block.begin)
    page.write_text(head + marker + rest.replace("`sns:Publish` on the named ARN", "`sns:Publish` on `*`", 1))
    assert site.stale(tmp_path) == [f"{block.path} is stale"]
    site.write(tmp_path)
    assert "# Workloads, edited by hand" in page.read_text() and "`sns:Publish` on the named ARN" in page.read_text()


def test_a_missing_page_is_reported_and_written(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    (tmp_path / RULE_PAGE).unlink()
    assert site.stale(tmp_path) == [f"{RULE_PAGE} is missing"]
    site.write(tmp_path)
    assert (tmp_path / RULE_PAGE).read_bytes() == (REPO / RULE_PAGE).read_bytes()


def test_the_page_of_a_removed_rule_is_reported_and_deleted(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    gone = tmp_path / "docs/rules/ecr-repository-require-gone-rule.md"
    gone.write_text("# `ecr-repository-require-gone-rule`\n")
    assert site.stale(tmp_path) == [
        "docs/rules/ecr-repository-require-gone-rule.md is no longer generated (its source is gone): delete it"
    ]
    site.write(tmp_path)
    assert not gone.exists() and site.stale(tmp_path) == []


def test_lost_markers_are_reported(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    (block,) = [b for b in of_kind(site, Block) if b.path == "docs/inventory.md"]
    page = tmp_path / block.path
    page.write_text(page.read_text().replace(block.end, ""))
    (problem,) = site.stale(tmp_path)
    assert problem.startswith(f"{block.path} lacks the lines")


def test_a_picture_of_another_inventory_is_stale(site: Site, tmp_path: Path) -> None:
    copy_generated(site, tmp_path)
    (picture,) = of_kind(site, Picture)
    svg = tmp_path / picture.path
    svg.write_text(svg.read_text().replace(picture.digest, "0" * 64))
    assert site.stale(tmp_path) == [f"{picture.path} is stale (drawn from another inventory, or missing)"]


def test_the_check_command_names_each_stale_file_and_the_fix(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_generated(site, tmp_path)
    (tmp_path / RULE_PAGE).write_text("edited\n")
    (tmp_path / "docs/reference/settings.md").unlink()
    monkeypatch.setattr(cli, "REPO", tmp_path)
    monkeypatch.setattr(cli, "build_site", lambda repo: site)
    assert cli.main(["--check"]) == cli.EXIT_STALE
    assert capsys.readouterr().err.splitlines() == [
        f"docs/reference/settings.md is missing: run `{FIX}`",
        f"{RULE_PAGE} is stale: run `{FIX}`",
    ]
    assert (tmp_path / RULE_PAGE).read_text() == "edited\n", "--check changes nothing"
