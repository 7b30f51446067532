"""Offline answers to a program's lookups (invokes): what each lookup token gets, and the log of what was
asked, so that every report says which values were computed, which were invented, and which got nothing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..cloud import CloudContext
from . import stand_ins
from .policy_document import PolicyDocumentError, policy_document


class AnswerKind(str, Enum):
    COMPUTED = "computed"
    """What the provider itself answers: a pure function, or the stack's own config."""
    STAND_IN = "stand-in"
    """Invented offline: shaped as the provider's answer, marked, never real."""
    UNANSWERED = "unanswered"
    """No offline answer: the program got `{}` (every field empty)."""


@dataclass(frozen=True)
class Lookup:
    kind: AnswerKind
    answer: Callable[[CloudContext, dict[str, Any]], dict[str, Any]]
    shown: tuple[str, ...] = ()
    """The invented fields a table shows, so that a reader recognises them where the program used them."""
    applies: Callable[[dict[str, Any]], bool] = lambda args: True
    """Whether this answer fits these arguments (an SSM parameter is answered only when it names an image)."""


LOOKUPS: dict[str, Lookup] = {
    "aws:iam/getPolicyDocument:getPolicyDocument": Lookup(AnswerKind.COMPUTED, lambda _, args: policy_document(args)),
    "aws:index/getRegion:getRegion": Lookup(AnswerKind.COMPUTED, stand_ins.region),
    "aws:index/getPartition:getPartition": Lookup(AnswerKind.COMPUTED, stand_ins.partition),
    "aws:index/getCallerIdentity:getCallerIdentity": Lookup(
        AnswerKind.STAND_IN, stand_ins.caller_identity, ("accountId", "arn")
    ),
    "aws:index/getAvailabilityZones:getAvailabilityZones": Lookup(
        AnswerKind.STAND_IN, stand_ins.availability_zones, ("names",)
    ),
    "aws:ec2/getAmi:getAmi": Lookup(AnswerKind.STAND_IN, stand_ins.ami, ("id",)),
    "aws:ec2/getAmiIds:getAmiIds": Lookup(AnswerKind.STAND_IN, stand_ins.ami_ids, ("ids",)),
    "aws:ssm/getParameter:getParameter": Lookup(
        AnswerKind.STAND_IN,
        stand_ins.image_parameter,
        ("name", "value"),
        lambda args: stand_ins.is_public_image_parameter(str(args.get("name") or "")),
    ),
    "aws:route53/getZone:getZone": Lookup(AnswerKind.STAND_IN, stand_ins.route53_zone, ("zoneId", "name")),
    "aws:ec2/getVpc:getVpc": Lookup(AnswerKind.STAND_IN, stand_ins.vpc, ("id", "cidrBlock")),
    "aws:ec2/getSubnets:getSubnets": Lookup(AnswerKind.STAND_IN, stand_ins.subnets, ("ids",)),
    "aws:ec2/getSubnet:getSubnet": Lookup(AnswerKind.STAND_IN, stand_ins.subnet, ("id", "vpcId")),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": Lookup(
        AnswerKind.STAND_IN, stand_ins.ecr_authorization_token, ("password", "proxyEndpoint")
    ),
    "aws:eks/getClusterAuth:getClusterAuth": Lookup(AnswerKind.STAND_IN, stand_ins.eks_cluster_auth, ("token",)),
}

# How many invented answers of one token a report shows (a loop of lookups should not flood it).
SHOWN_STAND_INS = 3


@dataclass(frozen=True)
class LookupRecord:
    token: str
    kind: AnswerKind
    calls: int
    stand_ins: tuple[dict[str, Any], ...] = ()
    """The invented answers (the first SHOWN_STAND_INS distinct ones), so a reader can recognise them."""

    def headline(self) -> str:
        """The invented values a table shows: `id=ami-0000…; id=ami-0000…`."""
        lookup = LOOKUPS.get(self.token)
        fields = lookup.shown if lookup else ()
        return "; ".join(
            ", ".join(f"{key}={answer[key]}" for key in fields if key in answer) for answer in self.stand_ins
        )


class LookupRefused(Exception):
    """The provider would refuse these arguments: the SDK is told so as a failure of the invoke."""

    def __init__(self, token: str, argument: str, reason: str) -> None:
        super().__init__(f"{token}: {reason} ({argument})")
        self.token = token
        self.argument = argument
        self.reason = reason


class LookupLog:
    """Answers lookups and remembers each: the SDK calls from its worker threads, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, AnswerKind]] = Counter()
        self._invented: dict[str, list[dict[str, Any]]] = {}

    def answer(self, ctx: CloudContext, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """The offline answer to `token(args)`. Raises LookupRefused where the provider fails the lookup."""
        lookup = LOOKUPS.get(token)
        if lookup is None or not lookup.applies(args):
            self._note(token, AnswerKind.UNANSWERED, None)
            return {}
        try:
            result = lookup.answer(ctx, args)
        except PolicyDocumentError as error:
            self._note(token, lookup.kind, None)
            raise LookupRefused(token, error.argument, str(error)) from None
        self._note(token, lookup.kind, result if lookup.kind is AnswerKind.STAND_IN else None)
        return result

    def _note(self, token: str, kind: AnswerKind, invented: dict[str, Any] | None) -> None:
        with self._lock:
            self._calls[(token, kind)] += 1
            if invented is not None:
                shown = self._invented.setdefault(token, [])
                if invented not in shown and len(shown) < SHOWN_STAND_INS:
                    shown.append(invented)

    def records(self) -> list[LookupRecord]:
        with self._lock:
            return [
                LookupRecord(
                    token, kind, calls, tuple(self._invented.get(token, ())) if kind is AnswerKind.STAND_IN else ()
                )
                for (token, kind), calls in sorted(self._calls.items())
            ]

    def unanswered(self) -> list[str]:
        return [r.token for r in self.records() if r.kind is AnswerKind.UNANSWERED]
