"""An awsx-style VPC (pulumi_awsx.ec2.Vpc: a multi-language component) whose outputs feed custom resources.
Its `natGateways` input is a strategy object while the output of the same name is a list of NAT gateways;
a mock that echoes inputs as outputs hands the program a value of the wrong type and the SDK fails while
resolving them. Registered with the pulumi SDK directly, with a plugin download URL as third-party packages
send one."""

from collections.abc import Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws

AWSX_SDK_VERSION = "3.11.0"
AWSX_PLUGIN_URL = "https://plugins.example.invalid/awsx"


class Vpc(pulumi.ComponentResource):
    """Declared as pulumi_awsx's generated class declares it: typed getters over the resolved outputs."""

    # Python names on the object, camelCase on the wire, as generated SDKs translate them.
    WIRE_NAMES: ClassVar[dict[str, str]] = {
        "cidr_block": "cidrBlock",
        "nat_gateways": "natGateways",
        "vpc_id": "vpcId",
        "private_subnet_ids": "privateSubnetIds",
    }

    def __init__(self, name: str, cidr_block: str, nat_strategy: str) -> None:
        props = {
            "cidr_block": cidr_block,
            "nat_gateways": {"strategy": nat_strategy},
            "vpc_id": None,
            "private_subnet_ids": None,
        }
        super().__init__(
            "awsx:ec2:Vpc",
            name,
            props,
            pulumi.ResourceOptions(version=AWSX_SDK_VERSION, plugin_download_url=AWSX_PLUGIN_URL),
            remote=True,
        )

    @property
    @pulumi.getter(name="vpcId")
    def vpc_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "vpc_id")

    @property
    @pulumi.getter(name="privateSubnetIds")
    def private_subnet_ids(self) -> pulumi.Output[Sequence[str]]:
        return pulumi.get(self, "private_subnet_ids")

    @property
    @pulumi.getter(name="natGateways")
    def nat_gateways(self) -> pulumi.Output[Sequence[aws.ec2.NatGateway]]:
        return pulumi.get(self, "nat_gateways")

    def translate_input_property(self, prop: str) -> str:
        return self.WIRE_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return {wire: python for python, wire in self.WIRE_NAMES.items()}.get(prop, prop)


vpc = Vpc("network", cidr_block="10.20.0.0/16", nat_strategy="Single")
# The program indexes the component's outputs as a list, as awsx programs do.
first_private = vpc.private_subnet_ids.apply(lambda ids: ids[0])
gateways = vpc.nat_gateways.apply(len)
group = aws.ec2.SecurityGroup("app", vpc_id=vpc.vpc_id, description="app", ingress=[], egress=[])
pulumi.export("firstPrivateSubnet", first_private)
pulumi.export("natGateways", gateways)
