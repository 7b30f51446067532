"""A program that reads a secret's value through a lookup that has no offline answer (a secret is never
invented) and then parses it: the empty answer makes the program fail far from the lookup."""

import json

import pulumi
import pulumi_aws as aws

SETTINGS = "web/settings"  # the secret's name, not a secret
settings = aws.secretsmanager.get_secret_version(secret_id=SETTINGS)
database = json.loads(settings.secret_string)  # None offline: no answer, so no string to parse
pulumi.export("databaseHost", database["host"])
