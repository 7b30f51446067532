"""Generate realistic stack files with N workloads, for benchmarks: about five workloads per namespace, one
to three access entries each, and call chains between them (every flow declared at both ends, as the
settings require), so that resources, policies and flows grow in proportion to N.

    .venv/bin/python benchmarks/stackgen.py 100 > /tmp/Pulumi.bench.yaml
"""

from __future__ import annotations

import hashlib
import random
import sys
from typing import Any

import yaml

ACCOUNT = "111122223333"
REGION = "eu-west-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
VPC = "10.40.0.0/16"

_ACCESS = (
    ("s3", "read", "arn:aws:s3:::bench-{name}-data"),
    ("s3", "write", "arn:aws:s3:::bench-{name}-exports"),
    ("dynamodb", "read", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/bench-{{name}}"),
    ("dynamodb", "write", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/bench-{{name}}-state"),
    ("sqs", "send", f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-{{name}}-out"),
    ("sqs", "consume", f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-{{name}}-in"),
    ("sns", "publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:bench-{{name}}-events"),
    ("secretsmanager", "read", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bench/{{name}}-AbCdEf"),
    ("ssm", "read", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/bench/{{name}}"),
)


def _digest(name: str, slot: str) -> str:
    return f"{REGISTRY}/{name}@sha256:" + hashlib.sha256(f"{name}/{slot}".encode()).hexdigest()


def generate(count: int, *, seed: int = 7, environment: str = "prod") -> dict[str, Any]:
    """A stack file document (`{"config": ...}`) with `count` workloads."""
    rng = random.Random(seed)
    names = [f"svc-{i:03d}" for i in range(count)]
    workloads: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        grants = rng.sample(_ACCESS, k=rng.randint(1, 3))
        workloads.append(
            {
                "name": name,
                "namespace": f"team-{index // 5:02d}",
                "port": 8080,
                "replicas": 2,
                "identity": "irsa" if index % 4 == 3 else "pod-identity",
                "rollout": {"active": "blue", "blue": _digest(name, "blue"), "green": _digest(name, "green")},
                "access": [
                    {"service": s, "level": lvl, "resources": [arn.format(name=name)]} for s, lvl, arn in grants
                ],
                "ingress": [],
                "egress": [],
            }
        )
    # Edge workloads take traffic from the VPC (a load balancer); each later workload is called by one or
    # two earlier ones, so flows grow linearly with N.
    for index, workload in enumerate(workloads):
        if index % 10 == 0:
            workload["ingress"].append({"cidr": VPC, "port": 8080})
        callers = {rng.randrange(0, index)} if index else set()
        if index > 3 and rng.random() < 0.5:
            callers.add(rng.randrange(0, index))
        for caller in sorted(callers):
            workloads[caller]["egress"].append({"to": workload["name"], "port": 8080})
            workload["ingress"].append({"from": workloads[caller]["name"], "port": 8080})
        if index % 7 == 0:
            workload["egress"].append({"cidr": VPC, "port": 443})
    return {
        "config": {
            "aws:region": REGION,
            "aws:allowedAccountIds": [ACCOUNT],
            "nhi-platform:environment": environment,
            "nhi-platform:cluster": {
                "name": "bench",
                "kubernetesVersion": "1.34",
                "vpcCidr": VPC,
                "publicEndpointCidrs": [],
                "adminRoleArns": [f"arn:aws:iam::{ACCOUNT}:role/platform-admins"],
                "nodeGroups": [
                    {
                        "name": "general",
                        "instanceTypes": ["m7i.large"],
                        "minSize": 3,
                        "desiredSize": 3,
                        "maxSize": 30,
                        "bottlerocketRelease": "1.41.0-2b4c1d53",
                    }
                ],
            },
            "nhi-platform:rolloutGate": {"image": _digest("platform/rollout-gate", "gate")},
            "nhi-platform:workloads": workloads,
        }
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    yaml.safe_dump(generate(int(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
