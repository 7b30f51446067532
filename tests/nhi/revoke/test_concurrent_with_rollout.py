"""`nhi revoke` and `nhi rollout` on one stack file at the same moment, in separate processes: both take the same edit
lock (nhi.rollout.file_edit), so every edit lands, in some order, and the file stays a valid stack file."""

from __future__ import annotations

from pathlib import Path

import yaml

import settings
from nhi.revoke.record import KEY
from tests.nhi.concurrent_commands import race

TRIALS = 15
W = "nhi-platform:workloads"
IMAGE = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/cart@sha256:{'e' * 64}"


def test_revocations_and_a_release_at_once_all_land(prod: Path) -> None:
    original = prod.read_bytes()
    for trial in range(TRIALS):
        prod.write_bytes(original)
        codes = race(
            ("revoke", "--stack-file", str(prod), "--workload", "checkout"),
            ("rollout", "release", "--stack-file", str(prod), "--workload", "cart", "--image", IMAGE),
            ("revoke", "--stack-file", str(prod), "--workload", "payments"),
            ("revoke", "--stack-file", str(prod), "--pipeline", "prod"),
        )
        assert codes == [0, 0, 0, 0], f"trial {trial}"
        config = yaml.safe_load(prod.read_text())["config"]
        workloads = {w["name"]: w for w in config[W]}
        assert {name for name, w in workloads.items() if KEY in w} == {"checkout", "payments"}, f"trial {trial}"
        assert KEY in config["nhi-platform:ci"], f"trial {trial}: the pipeline's revocation was lost"
        assert workloads["cart"]["rollout"]["green"] == IMAGE, f"trial {trial}: the release was lost"
        settings.stack_file_settings(prod)  # still a valid stack file
        assert sorted(p.name for p in prod.parent.iterdir()) == ["Pulumi.prod.yaml"]
