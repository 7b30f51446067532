"""The README is short and maps every page of docs/; every link in the docs leads to a file (and heading) that
exists inside the repository; and no file names a path outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from docgen import REPO

README = REPO / "README.md"
MAX_README_BYTES = 12_000
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"\.\./shared")


def tracked(pattern: str) -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "--", pattern], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [REPO / name for name in names]


def docs_pages() -> list[Path]:
    """Every page of docs/ a reader starts from: the top-level pages, the settings reference and the rule index."""
    return sorted([*REPO.glob("docs/*.md"), *REPO.glob("docs/reference/*.md"), REPO / "docs/rules/README.md"])


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            base = slug(line.lstrip("#"))
            anchor, n = base, 0
            while anchor in found:
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return found


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [a or b for a, b in LINK.findall(text)]


def test_the_readme_is_read_in_five_minutes() -> None:
    assert len(README.read_bytes()) <= MAX_README_BYTES


def test_the_readme_links_every_page_of_the_docs() -> None:
    linked = {(README.parent / unquote(target.split("#")[0])).resolve() for target in links(README)}
    assert len(docs_pages()) >= 10
    assert [p.relative_to(REPO).as_posix() for p in docs_pages() if p.resolve() not in linked] == []


@pytest.mark.parametrize(
    "page",
    [README, REPO / "policy/README.md", REPO / "tests/fixtures/pod-security/README.md", *REPO.glob("docs/**/*.md")],
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_every_link_leads_inside_the_repository_to_something_that_exists(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = unquote(target).partition("#")
        resolved = (page.parent / file).resolve() if file else page
        missing = not resolved.is_relative_to(REPO) or not resolved.exists()
        if missing or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved)):
            broken.append(target)
    assert broken == []


def test_the_slug_and_link_helpers_find_what_github_would() -> None:
    assert slug("The real path: `pulumi up`") == "the-real-path-pulumi-up"
    assert slug("Add-on versions pinned by default") == "add-on-versions-pinned-by-default"
    assert links(README)  # the helper sees the README's links at all


def test_no_tracked_file_names_a_path_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in tracked(".")
        if path.is_file() and path.suffix not in {".gz", ".svg"}
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="ignore").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []
