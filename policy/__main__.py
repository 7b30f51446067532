"""The nhi-platform CrossGuard pack. The only place a PolicyPack is built; it starts the analyzer server."""

from pulumi_policy import EnforcementLevel, PolicyPack

from nhi_rules import sdk_seam
from nhi_rules.lib import collection, warmup
from nhi_rules.registry import POLICIES

collection.tune()  # one preview's worth of calls: fewer full collections of a heap that barely changes
sdk_seam.install()  # the SDK's analyzer, with less work per resource where its version was tested
warmup.start()  # the IAM database and secret detectors load while the engine still runs the program

PolicyPack(
    name="nhi-platform",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Secures non-human identities on a hardened, immutable EKS: AWS, IAM, Kubernetes and stack rules.",
)
