import sys

import pulumi
import pulumi_aws as aws
from naming_conventions import queue_name  # installed only in this project's virtualenv

aws.sqs.Queue("events", name=queue_name("events"))
pulumi.export("owner", "events-team")
pulumi.export("interpreter", sys.prefix)
