"""How `nhi rollout` changes a stack file on disk: one edit at a time, to the file a link points at, in one rename,
keeping what the file was (mode, owner, group, line endings), and leaving no temporary file behind.

- One at a time: an edit holds an exclusive lock (flock) on the directory of the stack file while it reads,
  checks and writes it, so two moves on one file apply one after the other; neither is lost. The lock is on the
  directory because the file itself is replaced by each edit (a lock on the old file would not stop a second
  edit of the new one), and a directory leaves no lock file behind. `pulumi config set` and editors do not take
  it: run one of them at a time.
- Links: a symbolic link is followed, the edit goes to its target and the link stays. A file with several hard
  links is refused: a rename gives this name a new file and leaves the other names with the old content.
- Read-only: a file with no write permission is refused, not replaced.
- Atomic: the new text goes to a temporary file beside the target (same file system), is flushed to disk, then
  renamed over the target. A reader, or a crash, sees the old file or the new one, never half; a failure
  removes the temporary file, and one left by a killed edit is removed by the next edit (under the lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import RolloutRefused

LOCK_WAIT_SECONDS = 30.0
"""How long an edit waits for another edit of the same directory before it is refused."""
_LOCK_POLL_SECONDS = 0.05
TEMPORARY_SUFFIX = ".nhi-rollout.tmp"

BUSY = (
    "another `nhi rollout` has been editing a stack file in {directory} for {seconds:.0f} s: {path} was not "
    "changed; try again when it has finished"
)
HARD_LINKED = (
    "{path} has {links} hard links: a rollout replaces the file in one rename, which would leave the other "
    "{others} with the old content. Edit it by hand, or give this stack its own copy "
    "(`cp --remove-destination`) and run the move again"
)
READ_ONLY = (
    "{path} is read-only (mode {mode:04o}): a rollout does not replace a file that was protected from writing; "
    "make it writable (chmod u+w) to edit it"
)
NOT_WRITTEN = "cannot write {path}: {reason}; the file is unchanged"


def target_of(path: Path) -> Path:
    """The file an edit of `path` changes: `path` itself, or the file its symbolic links lead to."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def exclusive_edit(path: Path) -> Iterator[Path]:
    """Hold the edit lock of the stack file `path` while the block reads, checks and writes it; yields the file to
    read and write (the target of a link). Refused when another edit holds the lock for LOCK_WAIT_SECONDS."""
    target = target_of(path)
    try:
        directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise RolloutRefused(NOT_WRITTEN.format(path=path, reason=error.strerror)) from None
    try:
        _lock(directory, path, target.parent)
        _remove_left_temporaries(target)
        yield target
    finally:
        os.close(directory)  # releases the lock


def _lock(directory: int, path: Path, where: Path) -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise RolloutRefused(BUSY.format(directory=where, seconds=LOCK_WAIT_SECONDS, path=path)) from None
            time.sleep(_LOCK_POLL_SECONDS)


def _remove_left_temporaries(target: Path) -> None:
    """Temporary files of an edit that was killed between its write and its rename (only edits, under this lock,
    make them)."""
    for left in target.parent.glob(f".{target.name}.*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            left.unlink()


def replace_file(path: Path, target: Path, data: bytes) -> None:
    """Replace `target` (the file of `path`, see target_of) with `data` in one rename, keeping its mode, owner
    and group. Call it inside exclusive_edit. Refused, leaving the file as it was, when it is hard-linked,
    read-only or cannot be written."""
    try:
        status = os.stat(target)
    except OSError as error:
        raise RolloutRefused(NOT_WRITTEN.format(path=path, reason=error.strerror)) from None
    if status.st_nlink > 1:
        others = status.st_nlink - 1
        names = f"{others} name{'s' if others > 1 else ''}"
        raise RolloutRefused(HARD_LINKED.format(path=path, links=status.st_nlink, others=names))
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise RolloutRefused(READ_ONLY.format(path=path, mode=mode))
    try:
        _write_and_rename(target, data, status)
    except OSError as error:
        raise RolloutRefused(NOT_WRITTEN.format(path=path, reason=error.strerror or error)) from None


def _write_and_rename(target: Path, data: bytes, status: os.stat_result) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=target.parent)
    try:
        try:
            _keep_owner(descriptor, status)
            os.fchmod(descriptor, stat.S_IMODE(status.st_mode))  # after the owner: a chown clears set-id bits
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)


def _keep_owner(descriptor: int, status: os.stat_result) -> None:
    """The new file gets the old one's owner and group: all of it as root; otherwise the group when this user
    belongs to it (a user cannot give a file away; the new file is then this user's)."""
    if os.geteuid() == 0:
        os.fchown(descriptor, status.st_uid, status.st_gid)
        return
    with contextlib.suppress(PermissionError):
        os.fchown(descriptor, -1, status.st_gid)


def _sync_directory(directory: Path) -> None:
    """Flush the rename itself to disk, so that a power cut after `Wrote ...` keeps the new file (where the file
    system can: the file is already replaced, so a failure here changes nothing)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
