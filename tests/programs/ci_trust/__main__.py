"""A deploy role trusted by GitHub Actions, as any program might write it: the subject, its operator and the
audience come from config, so that tests can feed the pack the trusts it must block."""

import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
issuer = "token.actions.githubusercontent.com"
conditions: dict[str, dict[str, str]] = {config.require("operator"): {f"{issuer}:sub": config.require("subject")}}
audience = config.get("audience")
if audience:
    conditions.setdefault("StringEquals", {})[f"{issuer}:aud"] = audience
aws.iam.Role(
    "deploy",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{issuer}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": conditions,
                }
            ],
        }
    ),
)
