"""The nhi-platform CrossGuard pack. The only place a PolicyPack is built; it starts the analyzer server."""

from pulumi_policy import EnforcementLevel, PolicyPack

from nhi_rules.lib import sharing
from nhi_rules.registry import POLICIES

sharing.install()  # convert each resource's inputs once per call, not once per policy (see the module)
PolicyPack(
    name="nhi-platform",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Secures non-human identities on a hardened, immutable EKS: AWS, IAM, Kubernetes and stack rules.",
)
