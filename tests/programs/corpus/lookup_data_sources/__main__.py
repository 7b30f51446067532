"""A web tier shaped as many public programs are: it finds its network, image, DNS zone and account by
lookups rather than by creating them, and builds its IAM policies with get_policy_document."""

import json

import pulumi
import pulumi_aws as aws

identity = aws.get_caller_identity()
region = aws.get_region()
vpc = aws.ec2.get_vpc(tags={"Name": "shared"})
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
ami = aws.ec2.get_ami(
    most_recent=True,
    owners=["137112412989"],
    filters=[{"name": "name", "values": ["al2023-ami-2023.*-x86_64"]}],
)
eks_ami = aws.ssm.get_parameter(
    name="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id"
)
zone = aws.route53.get_zone(name="example.com.", private_zone=False)
registry = aws.ecr.get_authorization_token()

assume = aws.iam.get_policy_document(
    statements=[
        {
            "actions": ["sts:AssumeRole"],
            "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}],
        }
    ]
)
read_logs = aws.iam.get_policy_document(
    statements=[
        {
            "sid": "ReadOwnLogs",
            "actions": ["logs:GetLogEvents", "logs:DescribeLogStreams"],
            "resources": [f"arn:aws:logs:{region.region}:{identity.account_id}:log-group:/web/*"],
            "conditions": [{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": [region.region]}],
        }
    ]
)

role = aws.iam.Role("web", assume_role_policy=assume.json)
aws.iam.RolePolicy("web-logs", role=role.id, policy=read_logs.json)
profile = aws.iam.InstanceProfile("web", role=role.name)
group = aws.ec2.SecurityGroup("web", vpc_id=vpc.id, description="web", ingress=[], egress=[])
server = aws.ec2.Instance(
    "web",
    ami=ami.id,
    instance_type="t3.micro",
    subnet_id=subnets.ids[0],
    vpc_security_group_ids=[group.id],
    iam_instance_profile=profile.name,
    metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1},
)
aws.route53.Record("www", zone_id=zone.zone_id, name=f"www.{zone.name}", type="A", ttl=300, records=[server.private_ip])
pulumi.export("registry", registry.proxy_endpoint)
pulumi.export("nodeImage", eks_ami.value)
pulumi.export("policy", json.loads(read_logs.json))

# A lookup with no offline answer (an alias is the account's own): named in the report, not invented.
key_alias = aws.kms.get_alias(name="alias/web")
pulumi.export("keyAlias", key_alias.target_key_arn)
