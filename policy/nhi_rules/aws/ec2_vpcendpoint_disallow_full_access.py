"""A VPC endpoint's policy is a data perimeter, not AWS's default "full access". Without a policy, an endpoint lets
any principal (of any account, with stolen keys too) reach any resource (an attacker's bucket included) through the
VPC's private path: the classic exfiltration route from a cluster whose nodes have no internet. Every Allow
statement must name whose calls it admits or which resources they reach: a named principal; a condition on
`aws:PrincipalAccount`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalArn`, `aws:ResourceAccount`,
`aws:ResourceOrgID` or `aws:ResourceOrgPaths` with a positive operator (`StringEquals`, `ArnEquals`, ...; not
`...IfExists`, which passes when the key is absent) and concrete values (AWS's data-perimeter guidance); or named
resources (an ARN with its bucket, or its account, spelled out, such as ECR's layer bucket, which is fetched with
URLs ECR presigns and so carries ECR's principal). Gateway Load Balancer endpoints take no policy and are left
alone."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import InvalidDocument, Statement, parse_document, statements
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-vpcendpoint-disallow-full-access"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PERIMETER_KEYS = (
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalArn",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
)
POSITIVE_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike")
NO_POLICY_TYPES = ("GatewayLoadBalancer",)

MSG_DEFAULT_FULL_ACCESS = (
    "policy is not set, so AWS attaches its default full-access policy (any principal, any action, any resource): "
    "set a policy that admits only your account's principals (aws:PrincipalAccount) and resources "
    "(aws:ResourceAccount)"
)
MSG_INVALID = "policy is {problem}: write a JSON policy document"
MSG_OPEN_STATEMENT = (
    "policy.{path} allows any principal on any resource with no condition on {keys}: name the principals or "
    "resources it admits (for example StringEquals aws:PrincipalAccount and aws:ResourceAccount = your account)"
)


def _named(arn: str) -> bool:
    """An ARN that names its resource: S3's by a bucket without wildcards, others by a 12-digit account."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    if parts[2] == "s3" and not parts[4]:
        bucket = parts[5].split("/", 1)[0]
        return bool(bucket) and not any(c in bucket for c in "*?")
    return parts[4].isdigit() and len(parts[4]) == 12


def _perimeter(statement: Statement) -> bool:
    """Whether the statement names whose calls it admits or which resources they reach."""
    if statement.principals and not statement.principal_any:
        return True
    if statement.resources and not statement.not_resources and all(map(_named, statement.resources)):
        return True
    for key in PERIMETER_KEYS:
        for operator, values in statement.condition_values(key).items():
            bare = operator.split(":")[-1]
            if bare in POSITIVE_OPERATORS and values and not any(v.strip("*?") == "" for v in values):
                return True
    return False


def check(subject: Subject) -> Iterator[str]:
    if as_str(get(subject.props, "vpcEndpointType")) in NO_POLICY_TYPES:
        return
    policy = get(subject.props, "policy")
    if policy is None or policy == "":
        yield MSG_DEFAULT_FULL_ACCESS
        return
    try:
        document = parse_document(policy)
    except InvalidDocument as error:
        yield MSG_INVALID.format(problem=error)
        return
    for statement in statements(document):
        if statement.allows and not _perimeter(statement):
            yield MSG_OPEN_STATEMENT.format(path=statement.path, keys=", ".join(PERIMETER_KEYS))


POLICY = resource_rule(
    name=NAME,
    description="VPC endpoint policies admit only named principals or resources (a data perimeter), never full access.",
    resource_types=(VPC_ENDPOINT,),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-NET-PRIVATE", "Private clusters reach AWS services through VPC endpoints"),
    tags=["aws", "ec2", "network", "data-perimeter", "eks-bp:network"],
    remediation_steps=(
        "Set the endpoint's policy to statements that each carry StringEquals aws:PrincipalAccount (and "
        "aws:ResourceAccount) = your account, with named exceptions for the AWS-owned resources you need (EKS "
        "add-on images, ECR's layer bucket)."
    ),
)
