"""The stand-ins' own promises: deterministic, marked, never secret-looking, answered only where they fit."""

from __future__ import annotations

from nhi.preflight.cloud import CloudContext, partition_of
from nhi.preflight.lookups import AnswerKind, LookupLog
from nhi.preflight.lookups.stand_ins import (
    NOT_A_CREDENTIAL,
    is_public_image_parameter,
    region_code,
)

CTX = CloudContext(account="210987654321", region="eu-west-1")


def test_the_same_lookup_gets_the_same_invented_answer_and_another_a_different_one() -> None:
    log = LookupLog()
    first = log.answer(CTX, "aws:ec2/getAmi:getAmi", {"owners": ["amazon"], "mostRecent": True})
    again = log.answer(CTX, "aws:ec2/getAmi:getAmi", {"owners": ["amazon"], "mostRecent": True})
    other = log.answer(CTX, "aws:ec2/getAmi:getAmi", {"owners": ["099720109477"]})
    assert first["id"] == again["id"] != other["id"]
    [record] = log.records()
    assert (record.kind, record.calls, len(record.stand_ins)) == (AnswerKind.STAND_IN, 3, 2)


def test_tokens_say_they_are_not_real() -> None:
    log = LookupLog()
    ecr = log.answer(CTX, "aws:ecr/getAuthorizationToken:getAuthorizationToken", {})
    eks = log.answer(CTX, "aws:eks/getClusterAuth:getClusterAuth", {"name": "c"})
    assert ecr["password"] == eks["token"] == NOT_A_CREDENTIAL
    assert ecr["proxyEndpoint"] == "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com"


def test_only_public_image_parameters_are_invented() -> None:
    assert is_public_image_parameter(
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id"
    )
    assert is_public_image_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    assert not is_public_image_parameter(
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/release_version"
    )
    log = LookupLog()
    assert log.answer(CTX, "aws:ssm/getParameter:getParameter", {"name": "/web/database-password"}) == {}
    assert log.unanswered() == ["aws:ssm/getParameter:getParameter"]


def test_region_and_partition_are_computed_from_the_stack() -> None:
    assert [
        region_code(r) for r in ("us-east-1", "eu-west-1", "ap-southeast-2", "ap-northeast-1", "us-gov-west-1")
    ] == [
        "use1",
        "euw1",
        "apse2",
        "apne1",
        "usgw1",
    ]
    assert partition_of("cn-north-1") == ("aws-cn", "amazonaws.com.cn")
    china = LookupLog().answer(CloudContext(region="cn-north-1"), "aws:index/getPartition:getPartition", {})
    assert (china["partition"], china["dnsSuffix"], china["reverseDnsPrefix"]) == (
        "aws-cn",
        "amazonaws.com.cn",
        "cn.com.amazonaws",
    )
    zones = LookupLog().answer(CTX, "aws:index/getAvailabilityZones:getAvailabilityZones", {})
    assert zones["zoneIds"][0] == "euw1-az1" and zones["names"][0] == "eu-west-1a"
