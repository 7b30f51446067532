"""Identities the inventory must flag, in a program that is not ours: a CI user with a static access key and a
wildcard S3 policy, a role any GitHub repository's workflow can assume with an in-stack managed policy
attached, and a Deployment that runs as the default service account with an image by tag and no
NetworkPolicy (so its traffic is unrestricted)."""

import json

import pulumi_aws as aws
import pulumi_kubernetes as k8s

ci = aws.iam.User("ci-deployer")
aws.iam.AccessKey("ci-deployer-key", user=ci.name)
aws.iam.UserPolicy(
    "ci-deployer-artifacts",
    user=ci.name,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::legacy-artifacts", "arn:aws:s3:::legacy-artifacts/*"],
                }
            ],
        }
    ),
)

github = "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"
release = aws.iam.Role(
    "release",
    max_session_duration=43200,
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": github},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
                }
            ],
        }
    ),
)
publish = aws.iam.Policy(
    "publish",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ecr:PutImage", "ecr:BatchGetImage"],
                    "Resource": "arn:aws:ecr:eu-west-1:444455556666:repository/legacy",
                }
            ],
        }
    ),
)
aws.iam.RolePolicyAttachment("release-publish", role=release.name, policy_arn=publish.arn)
aws.iam.RolePolicyAttachment("release-readonly", role=release.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")

k8s.apps.v1.Deployment(
    "legacy-web",
    metadata={"name": "web", "namespace": "legacy"},
    spec={
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 80}]}]
            },
        },
    },
)
