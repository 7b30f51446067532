"""The profile table's arithmetic: py-spy's raw stacks summed per function, inclusive and self."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from gil_profile import aggregate


def test_stacks_are_summed_inclusive_and_self(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        'process 1:"MainThread";main (a.py:1);load (b.py:2);parse (c.py:3) 7\n'
        'process 1:"MainThread";main (a.py:1);load (b.py:2) 2\n'
        'process 1:"worker";run (d.py:4);main (a.py:1) 1\n'
        "\n"
    )
    total, inclusive, own = aggregate(raw)
    assert total == 10
    assert inclusive["main (a.py:1)"] == 10 and inclusive["load (b.py:2)"] == 9 and inclusive["parse (c.py:3)"] == 7
    assert own == {"parse (c.py:3)": 7, "load (b.py:2)": 2, "main (a.py:1)": 1}
    assert not any("process" in frame for frame in inclusive)  # the thread's name is not a frame
