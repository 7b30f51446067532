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
    partition: str = "aws"


def stable_hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def stable_uuid(seed: str) -> str:
    return str(uuid.UUID(hex=stable_hex(seed, 32)))
