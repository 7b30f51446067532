"""The value types of stack file fields: each validates one value and says what was expected, with the value it
got. Patterns that components check too come from `components.identifiers`, so both say the same thing."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

from components.identifiers import (
    DNS_LABEL_RE,
    POLICY_ARN_RE,
    REGION_RE,
    ROLE_ARN_RE,
    is_github_owner,
    is_github_repository,
)
from components.pods import DIGEST_REF_RE
from components.state_backend import KMS_KEY_ARN_RE, bucket_name_problem, prefix_problem
from nhi_rules.lib.addresses import LIMIT, Ranges, internet_reach

# Bottlerocket releases are published as <semver>-<8 hex commit>; EKS takes them as `releaseVersion`.
BOTTLEROCKET_RELEASE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{8}$")
ADDON_VERSION_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$")
REGISTRY_HOST_RE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?$")
# The widest allow-list entry for a public API endpoint: offices and CI runners, never a continent.
MIN_PUBLIC_PREFIX = {4: 16, 6: 48}


def _cidr(value: str) -> str:
    """A CIDR block such as `10.40.0.0/16` (host bits unset)."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"expected a CIDR block such as 10.40.0.0/16, got {value!r}") from None
    return str(network)


def _public_cidr(value: str) -> str:
    """A CIDR of /16 or narrower (IPv6 /48); never `/0` or wide halves of the internet."""
    value = _cidr(value)
    network = ipaddress.ip_network(value)
    if Ranges.of([value]).is_whole_internet(network.version):
        raise ValueError(
            f"the API endpoint is never open to the whole internet: {value!r} is refused; "
            "list the CIDRs of your offices or CI runners, or leave the list empty for a private endpoint"
        )
    # 0.0.0.0/1 + 128.0.0.0/1 is the whole internet too: bound each entry, not only /0.
    widest = MIN_PUBLIC_PREFIX[network.version]
    if network.prefixlen < widest:
        raise ValueError(
            f"expected a CIDR of /{widest} or narrower for the public API endpoint, got {value!r}: "
            "list the ranges of your offices or CI runners"
        )
    return value


def internet_problem(cidrs: list[str], advice: str) -> None:
    """Refuse CIDRs that reach the internet together (nhi_rules.lib.addresses, the pack's own measure): pieces
    that are each narrow enough can still add up to it."""
    reach = internet_reach(cidrs)
    if reach is not None:
        raise ValueError(f"together these ranges reach {reach}, the internet in pieces ({LIMIT}): {advice}")


def _public_cidrs(values: list[str]) -> list[str]:
    """Together fewer public addresses than a /8 (IPv6 /32): 256 /16s are a /8 too."""
    internet_problem(values, "list the ranges of your offices or CI runners")
    return values


def _vpc_cidr(value: str) -> str:
    """A private IPv4 CIDR from /16 to /20."""
    value = _cidr(value)
    network = ipaddress.ip_network(value)
    if network.version != 4 or not 16 <= network.prefixlen <= 20 or not network.is_private:
        raise ValueError(
            f"expected a private IPv4 CIDR from /16 to /20 (room for 3 public and 3 private subnets), got {value!r}"
        )
    return value


CONNECTION_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$"
)
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")


def _s3_bucket(value: str) -> str:
    """An S3 bucket name, by S3's naming rules (components.state_backend)."""
    problem = bucket_name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _state_prefix(value: str) -> str:
    """The path of a self-managed backend's URL (`s3://BUCKET/PREFIX`), without leading or trailing '/', at most 32
    characters (with a 63-character bucket name, the pipeline's boundary then keeps within IAM's size limit)."""
    problem = prefix_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _matching(test: Callable[[str], object], doc: str, expected: str, note: str = "") -> Callable[[str], str]:
    """A validator that keeps the values `test` accepts and refuses others, saying what was expected and what it
    got; `doc` becomes its constraint in the generated settings reference."""

    def validate(value: str) -> str:
        if not test(value):
            raise ValueError(f"expected {expected}, got {value!r}{note}")
        return value

    validate.__doc__ = doc
    return validate


_dns_label = _matching(
    DNS_LABEL_RE.fullmatch,
    "A DNS label: lowercase letters, digits and '-', starting with a letter, at most 63 characters.",
    "a DNS label (lowercase letters, digits and '-', starting with a letter, at most 63 characters)",
)
_role_arn = _matching(
    ROLE_ARN_RE.fullmatch,
    "An IAM role ARN such as `arn:aws:iam::111122223333:role/platform-admins`.",
    "an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admins",
)
_policy_arn = _matching(
    POLICY_ARN_RE.fullmatch,
    "A customer-managed IAM policy ARN such as `arn:aws:iam::111122223333:policy/workload-boundary`.",
    "a customer-managed IAM policy ARN such as arn:aws:iam::111122223333:policy/workload-boundary",
)
_github_owner = _matching(
    is_github_owner,
    "A GitHub organisation or user name: letters, digits and inner single '-', at most 39.",
    "a GitHub organisation or user name (letters, digits and inner single '-', at most 39)",
)
_github_repository = _matching(
    is_github_repository,
    "A GitHub repository name: letters, digits, '.', '_' and '-', at most 100.",
    "a GitHub repository name (letters, digits, '.', '_' and '-', at most 100)",
)
_bottlerocket_release = _matching(
    BOTTLEROCKET_RELEASE_RE.fullmatch,
    "A pinned Bottlerocket release, version-commit, such as `1.41.0-2b4c1d53`.",
    "a pinned Bottlerocket release such as '1.41.0-2b4c1d53' (version-commit)",
)
_addon_version = _matching(
    ADDON_VERSION_RE.fullmatch,
    "A pinned EKS add-on version such as `v1.20.4-eksbuild.1`.",
    "a pinned EKS add-on version such as 'v1.20.4-eksbuild.1'",
)
_image_digest = _matching(
    DIGEST_REF_RE.fullmatch,
    "An image pinned by digest: `REGISTRY/REPOSITORY@sha256:<64 hex>` (tags are refused).",
    "an image pinned by digest, REGISTRY/REPOSITORY@sha256:<64 hex>",
    " (tags are mutable and are refused)",
)
_registry_host = _matching(
    REGISTRY_HOST_RE.fullmatch,
    "A registry host such as `111122223333.dkr.ecr.eu-west-1.amazonaws.com`.",
    "a registry host such as 111122223333.dkr.ecr.eu-west-1.amazonaws.com",
)
_region = _matching(
    REGION_RE.fullmatch,
    "An AWS region name such as `eu-west-1` or `us-gov-west-1`.",
    "an AWS region name such as eu-west-1 or us-gov-west-1",
)
_connection_arn = _matching(
    CONNECTION_ARN_RE.fullmatch,
    "A CodeConnections connection ARN (the older `codestar-connections` service name is the same connection).",
    "a CodeConnections connection ARN, arn:aws:codeconnections:REGION:ACCOUNT:connection/<uuid>",
)
_kms_key_arn = _matching(
    KMS_KEY_ARN_RE.fullmatch,
    "A KMS key ARN (`arn:aws:kms:REGION:ACCOUNT:key/<id>`); an alias ARN does not authorise key use in IAM.",
    "a KMS key ARN, arn:aws:kms:REGION:ACCOUNT:key/<key id> (not an alias: IAM authorises key use on the key's ARN)",
)
_account_id = _matching(
    ACCOUNT_ID_RE.fullmatch,
    "A 12-digit AWS account id, as a quoted string.",
    "a 12-digit AWS account id as a quoted string",
)

DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Cidr = Annotated[str, AfterValidator(_cidr)]
PublicCidr = Annotated[str, AfterValidator(_public_cidr)]
PublicCidrs = Annotated[list[PublicCidr], AfterValidator(_public_cidrs)]
VpcCidr = Annotated[str, AfterValidator(_vpc_cidr)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
PolicyArn = Annotated[str, AfterValidator(_policy_arn)]
BottlerocketRelease = Annotated[str, AfterValidator(_bottlerocket_release)]
GitHubOwner = Annotated[str, AfterValidator(_github_owner)]
GitHubRepository = Annotated[str, AfterValidator(_github_repository)]
AddonVersion = Annotated[str, AfterValidator(_addon_version)]
ImageDigest = Annotated[str, AfterValidator(_image_digest)]
RegistryHost = Annotated[str, AfterValidator(_registry_host)]
Region = Annotated[str, AfterValidator(_region)]
ConnectionArn = Annotated[str, AfterValidator(_connection_arn)]
AccountId = Annotated[str, AfterValidator(_account_id)]
S3BucketName = Annotated[str, AfterValidator(_s3_bucket)]
StatePrefix = Annotated[str, AfterValidator(_state_prefix)]
KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
Port = Annotated[int, Field(ge=1, le=65535)]
