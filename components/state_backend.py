"""Where a self-managed (DIY) Pulumi backend in S3 keeps one stack's state, so that the pipeline's roles can be granted
exactly those objects (components/deployer_identity.py).

The layout is the Pulumi CLI's, project mode (`.pulumi/meta.yaml` version 1, what `pulumi login s3://...` writes into
an empty bucket), read from pulumi/pulumi pkg/backend/diy: store.go (stacks, history, backups), lock.go (locks under
the stack's fully qualified name `organization/<project>/<stack>`), meta.go, state.go (the checkpoint, its `.bak`
copy, its `.gz`/`.zst` forms, retained checkpoints `.<unix-nanos>`), stack_tags.go (`<stack>.pulumi-tags`). The
backend URL's path (`s3://BUCKET/PREFIX`) is a prefix before `.pulumi/` (backend.go: `blob.PrefixedBucket`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOOKKEEPING_DIR = ".pulumi"
# lock.go: locks live under the stack's fully qualified name, whose organization a DIY backend always spells so.
DIY_ORGANIZATION = "organization"

# S3's bucket naming rules (general purpose buckets): 3-63 characters of lowercase letters, digits, '.' and '-',
# starting and ending with a letter or digit, no '..', not an IP address, none of the reserved prefixes and suffixes.
S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
IPV4_RE = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")
# The backend URL's path: '/'-separated segments of letters, digits, '.', '_' and '-' (no '*' or '?': it becomes part
# of IAM resource ARNs), at most 32 characters: with a 63-character bucket the boundary keeps within IAM's limit.
STATE_PREFIX_RE = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
STATE_PREFIX_MAX = 32
# A KMS key by its key ARN (a single-Region key id, or a multi-Region `mrk-` id): IAM authorises key use on the key
# ARN, never on an alias ARN.
KMS_KEY_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
# Pulumi's project and stack names (tokens.ValidateProjectName, tokens.ParseStackName): no wildcard either.
PULUMI_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def bucket_name_problem(value: str) -> str | None:
    """Why a name is not an S3 bucket name, or None."""
    if (
        not S3_BUCKET_RE.fullmatch(value)
        or ".." in value
        or IPV4_RE.fullmatch(value)
        or value.startswith(S3_BUCKET_RESERVED_PREFIXES)
        or value.endswith(S3_BUCKET_RESERVED_SUFFIXES)
    ):
        return (
            "expected an S3 bucket name (3-63 lowercase letters, digits, '.' or '-', starting and ending with a "
            f"letter or digit, not an IP address, no reserved prefix or suffix), got {value!r}"
        )
    return None


def prefix_problem(value: str) -> str | None:
    """Why a value is not a state prefix (the backend URL's path), or None."""
    segments = value.split("/")
    if not STATE_PREFIX_RE.fullmatch(value) or len(value) > STATE_PREFIX_MAX or {".", ".."} & set(segments):
        return (
            f"expected the backend URL's path without leading or trailing '/' (at most {STATE_PREFIX_MAX} letters, "
            f"digits, '.', '_', '-' in '/'-separated segments), got {value!r}"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class StateBackend:
    """One stack's state in a self-managed S3 backend with an AWS KMS secrets provider (`awskms://`)."""

    bucket: str
    """The backend's bucket (`PULUMI_BACKEND_URL=s3://<bucket>/<prefix>?region=...`)."""
    prefix: str = ""
    """The backend URL's path, if any: every key starts with `<prefix>/.pulumi/`. Default: none."""
    secrets_key_arn: str
    """The KMS key of the stack's `awskms://` secrets provider (by key ARN)."""
    project: str
    """The Pulumi project (Pulumi.yaml `name`)."""
    stack: str
    """The Pulumi stack name."""

    def __post_init__(self) -> None:
        problems = [bucket_name_problem(self.bucket), prefix_problem(self.prefix) if self.prefix else None]
        if not KMS_KEY_ARN_RE.fullmatch(self.secrets_key_arn):
            problems.append(f"secrets_key_arn must be a KMS key ARN (not an alias), got {self.secrets_key_arn!r}")
        for name, value in (("project", self.project), ("stack", self.stack)):
            if not PULUMI_NAME_RE.fullmatch(value):
                problems.append(f"{name} must be a Pulumi {name} name, got {value!r}")
        found = [p for p in problems if p]
        if found:
            raise ValueError("StateBackend: " + "; ".join(found))

    def key(self, *parts: str) -> str:
        """An object key under the backend's bookkeeping directory."""
        return "/".join((*([self.prefix] if self.prefix else []), BOOKKEEPING_DIR, *parts))

    @property
    def meta_key(self) -> str:
        """The store's version file, shared by every project of the backend: read on every login (meta.go)."""
        return self.key("meta.yaml")

    @property
    def checkpoint_key(self) -> str:
        """The stack's checkpoint, uncompressed; `stackPath` lists this prefix to find its `.gz`/`.zst` form."""
        return self.key("stacks", self.project, f"{self.stack}.json")

    @property
    def tags_key(self) -> str:
        """The stack's tags, read with every checkpoint (may not exist: stack_tags.go)."""
        return self.key("stacks", self.project, f"{self.stack}.pulumi-tags")

    @property
    def history_dir(self) -> str:
        return self.key("history", self.project, self.stack) + "/"

    @property
    def backups_dir(self) -> str:
        return self.key("backups", self.project, self.stack) + "/"

    @property
    def locks_dir(self) -> str:
        """Where `pulumi up` puts its lock (`<uuid>.json`) and lists the others' (lock.go)."""
        return self.key("locks", DIY_ORGANIZATION, self.project, self.stack) + "/"

    @property
    def own_dirs(self) -> str:
        """One pattern for the stack's history, backups and locks directories (and any later per-stack directory of
        the same layout, such as the journal): every key under `.pulumi/` that matches `*/<project>/<stack>/*` is this
        stack's, since projects, stacks and the files in them are one segment each (store.go, lock.go)."""
        return self.key("*", self.project, self.stack, "*")

    def bucket_arn(self, partition: str) -> str:
        return f"arn:{partition}:s3:::{self.bucket}"

    def object_arn(self, partition: str, key: str) -> str:
        return f"{self.bucket_arn(partition)}/{key}"
