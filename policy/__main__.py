"""The nhi-platform CrossGuard pack. The only place a PolicyPack is built; it starts the analyzer server."""

from pulumi_policy import EnforcementLevel, PolicyPack

from nhi_rules.lib import collection, dispatch, shared_properties, warmup
from nhi_rules.registry import POLICIES

collection.tune()  # one preview's worth of calls: fewer full collections of a heap that barely changes

shared_properties.install()  # convert each resource's properties once per call, not once per policy
dispatch.install()  # run only the policies that judge a resource's type
warmup.start()  # the IAM database and secret detectors load while the engine still runs the program

PolicyPack(
    name="nhi-platform",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Secures non-human identities on a hardened, immutable EKS: AWS, IAM, Kubernetes and stack rules.",
)
