"""The pack's process tunes garbage collection: raised thresholds, loaded data frozen, a switch to turn it off."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from nhi_rules.lib import collection
from tests.conftest import REPO


@pytest.fixture()
def restored_gc():
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_tuning_raises_the_thresholds(restored_gc: None) -> None:
    assert collection.tune() is True
    assert gc.get_threshold() == collection.THRESHOLDS


def test_the_switch_leaves_the_defaults(restored_gc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(collection.SWITCH, "0")
    before = gc.get_threshold()
    assert collection.tune() is False
    collection.freeze_loaded()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_pack_process_freezes_once_its_data_has_loaded() -> None:
    script = (
        "import gc, sys\n"
        "sys.path.insert(0, 'policy')\n"
        "from nhi_rules.lib import collection, warmup\n"
        "collection.tune()\n"
        "warmup.start().join()\n"
        "print(gc.get_threshold(), gc.get_freeze_count() > 10000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == f"{collection.THRESHOLDS} True"
