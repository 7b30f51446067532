"""How `nhi rollout` writes a stack file (nhi.rollout.file_edit), end to end through `nhi.cli.main`: through a
symbolic link to its target, never over a hard-linked or read-only file, keeping line endings, a byte order mark,
mode, owner and group, leaving no temporary file behind, and waiting for (or refusing under) another edit."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from nhi.cli import main
from nhi.rollout import file_edit
from nhi.rollout.file_edit import BUSY, HARD_LINKED, READ_ONLY, TEMPORARY_SUFFIX
from tests.conftest import REPO

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/payments@sha256:{'e' * 64}"
RELEASE = ("release", "--workload", "payments", "--image", NEW)


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    directory = tmp_path / "stacks"
    directory.mkdir()
    path = directory / "Pulumi.prod.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.prod.yaml", path)
    return path


def rollout(capsys: pytest.CaptureFixture[str], path: Path, move: str, *argv: str) -> tuple[int, str]:
    """Run a move; returns its exit code and its one paragraph on stderr (empty when it succeeds)."""
    code = main(["rollout", move, "--stack-file", str(path), *argv])
    err = capsys.readouterr().err
    assert "\n" not in err.rstrip("\n"), "one paragraph"
    return code, err.rstrip("\n")


def released(text: str) -> str:
    """`text` with NEW released onto payments' idle (green) slot: the one token a release changes."""
    start = text.index("green: ", text.index("- name: payments")) + len("green: ")
    old = text[start:].split(maxsplit=1)[0]
    return text[:start] + NEW + text[start + len(old) :]


def test_a_symbolic_link_is_followed_and_stays_a_link(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    link = prod.parent.parent / "Pulumi.prod.yaml"
    link.symlink_to(os.path.relpath(prod, link.parent))
    before = prod.read_text()
    assert rollout(capsys, link, *RELEASE) == (0, "")
    assert link.is_symlink() and link.resolve() == prod.resolve()
    assert prod.read_text() == released(before)
    assert sorted(p.name for p in prod.parent.iterdir()) == ["Pulumi.prod.yaml"]


def test_a_hard_linked_file_is_refused_and_both_names_keep_their_content(
    capsys: pytest.CaptureFixture[str], prod: Path
) -> None:
    other = prod.parent / "Pulumi.copy.yaml"
    os.link(prod, other)
    before = prod.read_bytes()
    code, err = rollout(capsys, prod, *RELEASE)
    assert code == 2
    assert err == "nhi rollout release: refused: " + HARD_LINKED.format(path=prod, links=2, others="1 name")
    assert prod.read_bytes() == before == other.read_bytes()
    assert os.stat(prod).st_ino == os.stat(other).st_ino


def test_a_read_only_file_is_refused_not_replaced(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    prod.chmod(0o444)
    before = prod.read_bytes()
    inode = prod.stat().st_ino
    code, err = rollout(capsys, prod, *RELEASE)
    assert (code, err) == (2, "nhi rollout release: refused: " + READ_ONLY.format(path=prod, mode=0o444))
    assert prod.read_bytes() == before and prod.stat().st_ino == inode and prod.stat().st_mode & 0o777 == 0o444


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8-bom"])
def test_crlf_line_endings_and_a_byte_order_mark_are_kept(
    capsys: pytest.CaptureFixture[str], prod: Path, bom: bytes
) -> None:
    crlf = prod.read_text().replace("\n", "\r\n")
    prod.write_bytes(bom + crlf.encode())
    assert rollout(capsys, prod, *RELEASE) == (0, "")
    assert prod.read_bytes() == bom + released(crlf).encode()
    assert rollout(capsys, prod, "promote", "--workload", "payments") == (0, "")
    assert prod.read_bytes().count(b"\r\n") == crlf.count("\r\n") and b"\r\r" not in prod.read_bytes()


def test_mode_owner_and_group_are_kept(capsys: pytest.CaptureFixture[str], prod: Path) -> None:
    # As root (CI) the owner and group can be anyone's; otherwise they stay this user's.
    owner, group = (4321, 8765) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    os.chown(prod, owner, group)
    prod.chmod(0o640)
    inode = prod.stat().st_ino
    assert rollout(capsys, prod, *RELEASE) == (0, "")
    status = prod.stat()
    assert (status.st_uid, status.st_gid, status.st_mode & 0o7777) == (owner, group, 0o640)
    assert status.st_ino != inode, "replaced in one rename, not rewritten in place"


def test_a_failed_rename_leaves_the_file_and_no_temporary_file(
    capsys: pytest.CaptureFixture[str], prod: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = prod.read_bytes()

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    code, err = rollout(capsys, prod, *RELEASE)
    assert (code, err) == (2, f"nhi rollout release: refused: cannot write {prod}: No space left on device; "
                           "the file is unchanged")  # fmt: skip
    assert prod.read_bytes() == before
    assert sorted(p.name for p in prod.parent.iterdir()) == ["Pulumi.prod.yaml"]


def test_an_interrupted_edit_leaves_no_temporary_file(
    capsys: pytest.CaptureFixture[str], prod: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = prod.read_bytes()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    assert main(["rollout", "release", "--stack-file", str(prod), *RELEASE[1:]]) == 130
    assert prod.read_bytes() == before
    assert sorted(p.name for p in prod.parent.iterdir()) == ["Pulumi.prod.yaml"]


def test_a_temporary_file_left_by_a_killed_edit_is_removed_by_the_next(
    capsys: pytest.CaptureFixture[str], prod: Path
) -> None:
    left = prod.parent / f".{prod.name}.abc123{TEMPORARY_SUFFIX}"
    left.write_text("half an edit")
    unrelated = prod.parent / ".Pulumi.dev.yaml.abc123.tmp"
    unrelated.write_text("not ours")
    assert rollout(capsys, prod, *RELEASE) == (0, "")
    assert sorted(p.name for p in prod.parent.iterdir()) == [unrelated.name, "Pulumi.prod.yaml"]


def test_an_edit_waits_for_another_and_is_refused_after_the_wait(
    capsys: pytest.CaptureFixture[str], prod: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_edit, "LOCK_WAIT_SECONDS", 0.2)
    before = prod.read_bytes()
    directory = os.open(prod.parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)  # another edit, in progress
        code, err = rollout(capsys, prod, *RELEASE)
        assert code == 2
        assert err == "nhi rollout release: refused: " + BUSY.format(directory=prod.parent, seconds=0.2, path=prod)
        assert prod.read_bytes() == before
        # A dry run and the status take no lock.
        assert rollout(capsys, prod, *RELEASE, "--dry-run") == (0, "")
        assert rollout(capsys, prod, "status") == (0, "")
    finally:
        os.close(directory)
    assert rollout(capsys, prod, *RELEASE) == (0, "")
