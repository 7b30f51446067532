import pulumi
import pulumi_aws as aws

raw = aws.s3.BucketV2("raw-events", tags={"data-class": "internal"})
curated = aws.s3.BucketV2("curated-events", tags={"owner": "data-team", "data-class": "internal"})
ingest = aws.sqs.Queue("ingest", message_retention_seconds=86400)

pulumi.export("owner", "data-team")
pulumi.export("buckets", [raw.bucket, curated.bucket])
