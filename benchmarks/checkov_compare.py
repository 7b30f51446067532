"""What Checkov and the preflight each flag on the deliberately broken copy of prod.

Runs `nhi preflight` on tests/programs/broken_prod (with prod's pack config) and Checkov on the manifests it
renders, then prints, per Checkov check that failed: the rule of ours that covers it (or "not covered")
and whether we flagged the same Kubernetes object. Exit 1 when a covered check found an object we did not
flag. Checkov comes from `make bench-setup` (its own virtual environment).

    .venv/bin/python benchmarks/checkov_compare.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from table import print_table

REPO = Path(__file__).resolve().parents[1]
CHECKOV = REPO / "benchmarks" / ".venv-checkov" / "bin" / "checkov"
PSS = "kubernetes-pod-enforce-security-standards"

# Checkov's Kubernetes checks and the rule of ours that judges the same thing.
COVERED_BY = {
    "CKV_K8S_10": "kubernetes-pod-require-resource-limits",
    "CKV_K8S_11": "kubernetes-pod-require-resource-limits",
    "CKV_K8S_12": "kubernetes-pod-require-resource-limits",
    "CKV_K8S_13": "kubernetes-pod-require-resource-limits",
    "CKV_K8S_14": "kubernetes-pod-require-image-digest",
    "CKV_K8S_43": "kubernetes-pod-require-image-digest",
    "CKV_K8S_16": PSS,
    "CKV_K8S_17": PSS,
    "CKV_K8S_18": PSS,
    "CKV_K8S_19": PSS,
    "CKV_K8S_20": PSS,
    "CKV_K8S_23": PSS,
    "CKV_K8S_25": PSS,
    "CKV_K8S_26": PSS,
    "CKV_K8S_28": PSS,
    "CKV_K8S_31": PSS,
    "CKV_K8S_32": PSS,
    "CKV_K8S_37": PSS,
    "CKV_K8S_39": PSS,
    "CKV_K8S_22": "kubernetes-pod-require-readonly-rootfs",
    "CKV_K8S_35": "kubernetes-pod-disallow-env-secrets",
    "CKV_K8S_38": "kubernetes-pod-disallow-token-automount",
    "CKV_K8S_21": "kubernetes-pod-disallow-default-identity",
    "CKV_K8S_41": "kubernetes-pod-disallow-default-identity",
    "CKV_K8S_42": "kubernetes-pod-disallow-default-identity",
}


def preflight(manifests: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Rules that fired per object (`Kind.namespace.name`), and every object's URN."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nhi",
            "preflight",
            "--program",
            "tests/programs/broken_prod",
            "--stack",
            "prod",
            "--policy-pack-config",
            "policy/config/prod.json",
            "--format",
            "json",
            "--manifests",
            str(manifests),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 1:
        raise SystemExit(f"expected the broken copy to be blocked (exit 1), got {done.returncode}:\n{done.stderr}")
    report = json.loads(done.stdout)
    objects: dict[str, str] = {}
    for resource in report["resources"]:
        if resource["type"].startswith("kubernetes:") and isinstance(resource["inputs"].get("metadata"), dict):
            metadata = resource["inputs"]["metadata"]
            kind = resource["type"].rsplit(":", 1)[-1]
            objects[resource["urn"]] = f"{kind}.{metadata.get('namespace', 'default')}.{metadata.get('name')}"
    fired: dict[str, set[str]] = defaultdict(set)
    for diagnostic in report["diagnostics"]:
        if diagnostic["urn"] in objects:
            fired[objects[diagnostic["urn"]]].add(diagnostic["policy"])
    return fired, objects


def checkov(manifests: Path) -> dict[str, tuple[str, set[str]]]:
    """Checkov's failed checks: check id -> (name, objects)."""
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run(
        [
            str(CHECKOV),
            "--skip-download",
            "--framework",
            "kubernetes",
            "-d",
            str(manifests),
            "-o",
            "json",
            "--quiet",
            "--compact",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    failed: dict[str, tuple[str, set[str]]] = {}
    for check in report.get("results", {}).get("failed_checks", []):
        _, objects = failed.setdefault(check["check_id"], (check["check_name"], set()))
        objects.add(check["resource"])
    return failed


def main() -> int:
    if not CHECKOV.exists():
        print("Checkov is not installed: run `make bench-setup` first.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        manifests = Path(scratch) / "manifests"
        fired, _ = preflight(manifests)
        failed = checkov(manifests)
    rows, missed = [], 0
    for check_id, (name, objects) in sorted(failed.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[-1])):
        rule = COVERED_BY.get(check_id)
        if rule is None:
            verdict = "not covered"
        else:
            caught = {o for o in objects if rule in fired.get(o, set())}
            missed += len(objects - caught)
            verdict = f"caught {len(caught)}/{len(objects)}"
        rows.append((check_id, name[:58], len(objects), rule or "-", verdict))
    print_table(
        "Checkov on the broken copy of prod's manifests, and the preflight on the same objects:",
        ("check", "Checkov finding", "objects", "our rule", "preflight"),
        rows,
    )
    ours = sorted({rule for rules in fired.values() for rule in rules})
    print(
        f"\nThe preflight flagged {len(fired)} Kubernetes objects with {len(ours)} rules; Checkov flagged "
        f"{len({o for _, objects in failed.values() for o in objects})} objects with {len(failed)} checks."
    )
    print("Our Kubernetes rules that fired:", ", ".join(ours))
    print(f"Covered checks whose objects we missed: {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
