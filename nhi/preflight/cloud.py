"""The account, region and partition the preflight's invented values are made for, and the deterministic
hashes those values come from (two runs of the same program and config give the same values)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class CloudContext:
    """The account and region the realistic values are made for."""

    account: str = "123456789012"
    region: str = "us-east-1"

    @property
    def partition(self) -> str:
        return partition_of(self.region)[0]

    @property
    def dns_suffix(self) -> str:
        return partition_of(self.region)[1]


def partition_of(region: str) -> tuple[str, str]:
    """The partition and DNS suffix of a region (AWS's partitions: aws, aws-cn, aws-us-gov)."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def stable_hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def stable_uuid(seed: str) -> str:
    return str(uuid.UUID(hex=stable_hex(seed, 32)))
