"""Plaintext secret detection for env values and user data: detect-secrets' detectors plus key-name heuristics.

Tuned against false alarms: hostnames, URLs without credentials, ARNs, paths, image references, booleans and
numbers are never secrets by themselves; entropy is only measured on opaque tokens. detect-secrets is imported
on first use so that the pack starts fast.
"""

from __future__ import annotations

import functools
import re
from typing import Any

# Env names that usually hold a secret...
SECRET_NAME_RE = re.compile(
    r"(PASSW(OR)?D|PASSPHRASE|(^|_)PWD($|_)|(^|_)PASS($|_)|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|"
    r"CREDENTIAL|AUTH_?KEY|CLIENT_?SECRET|SIGNING_?KEY|(^|_)DSN$|CONNECTION_?STRING)",
    re.I,
)
# ...unless they name where a secret lives or what it looks like, not the secret itself.
REFERENCE_NAME_RE = re.compile(
    r"(_URL|_URI|_HOST|_HOSTNAME|_ENDPOINT|_PORT|_PATH|_FILE|_DIR|_ARN|_NAME|_ID|_REGION|"
    r"_TTL|_TIMEOUT|_EXPIRY|_EXPIRES|_LENGTH|_ENABLED|_HEADER|_TYPE|_VERSION|_ISSUER|"
    r"_AUDIENCE|_SCOPE|_ALGORITHM|_LOCATION|_REF)$",
    re.I,
)
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?$", re.I)
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:")
_IMAGE_RE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$")
_PLACEHOLDER_RE = re.compile(r"^(\$\(.*\)|\$\{.*\}|<.*>|changeme|redacted|none|null|unset|-|\*+)$", re.I)
_QUERY_SECRET_RE = re.compile(
    r"[?&](token|password|passwd|secret|api_?key|sig|signature|x-amz-signature)=[^&]{6,}", re.I
)
# An Authorization header's value: a scheme (RFC 9110 section 11.4) and a credential. A secret whatever the
# variable is called: the reference-name exemption (`AUTH_HEADER` naming a header) is about names, not values.
_AUTHORIZATION_RE = re.compile(r"^(bearer|basic|token|digest|apikey|api-key)\s+(?![$<])\S{8,}", re.I)
_OPAQUE_RE = re.compile(r"^[A-Za-z0-9+/=_\-]{24,}$")
BASE64_ENTROPY_LIMIT = 4.5

_DETECTORS = (
    ("aws", "AWSKeyDetector"),
    ("private_key", "PrivateKeyDetector"),
    ("jwt", "JwtTokenDetector"),
    ("basic_auth", "BasicAuthDetector"),
    ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"),
    ("slack", "SlackDetector"),
    ("stripe", "StripeDetector"),
    ("twilio", "TwilioKeyDetector"),
    ("sendgrid", "SendGridDetector"),
    ("artifactory", "ArtifactoryDetector"),
    ("azure_storage_key", "AzureStorageKeyDetector"),
    ("discord", "DiscordBotTokenDetector"),
    ("mailchimp", "MailchimpDetector"),
    ("npm", "NpmDetector"),
    ("openai", "OpenAIDetector"),
    ("pypi_token", "PypiTokenDetector"),
    ("square_oauth", "SquareOAuthDetector"),
    ("telegram_token", "TelegramBotTokenDetector"),
)


@functools.lru_cache(maxsize=1)
def _detectors() -> tuple[Any, ...]:
    import importlib

    found = []
    for module, name in _DETECTORS:
        try:
            found.append(getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)())
        except (ImportError, AttributeError):  # a detector missing from the pinned version is skipped
            continue
    return tuple(found)


@functools.lru_cache(maxsize=1)
def _entropy() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


def detector_hits(value: str) -> list[str]:
    """Names of the detect-secrets detectors that find a secret in `value`."""
    return [type(detector).__name__ for detector in _detectors() if _finds_secret(detector, value)]


def _finds_secret(detector: Any, value: str) -> bool:
    """Whether one detector finds a secret; one that fails on odd input finds none (the others still judge)."""
    try:
        return any(True for _ in detector.analyze_string(value))
    except Exception:
        return False


def is_benign(value: str) -> bool:
    """Values that are never secrets by themselves: hosts, credential-free URLs, ARNs, paths, images, flags."""
    text = value.strip()
    if not text or _PLACEHOLDER_RE.match(text) or text.lower() in ("true", "false", "yes", "no", "on", "off"):
        return True
    if re.fullmatch(r"[0-9.:,_ -]+", text) or _HOST_RE.match(text) or _ARN_RE.match(text) or _IMAGE_RE.match(text):
        return True
    if text.startswith("/") and " " not in text:
        return True
    if _URL_RE.match(text):
        return not url_has_credentials(text)
    return False


def url_has_credentials(text: str) -> bool:
    """user:password@ in the authority, or a token/password/signature in the query."""
    match = re.match(r"^[a-z][a-z0-9+.-]*://([^/?#]*)", text.strip(), re.I)
    userinfo = match.group(1).rpartition("@")[0] if match else ""
    return ":" in userinfo or bool(_QUERY_SECRET_RE.search(text))


def high_entropy(value: str) -> bool:
    text = value.strip()
    if not _OPAQUE_RE.match(text):
        return False
    if not (re.search(r"[a-z]", text) and re.search(r"[A-Z]", text) and re.search(r"[0-9]", text)):
        return False
    return _entropy().calculate_shannon_entropy(text) > BASE64_ENTROPY_LIMIT


def secret_reason(name: str, value: str) -> str | None:
    """Why `name=value` looks like a plaintext secret, or None."""
    hits = detector_hits(value)
    if hits:
        return f"detect-secrets {', '.join(hits)}"
    if _URL_RE.match(value.strip()) and url_has_credentials(value):
        return "credentials in the URL"
    if _AUTHORIZATION_RE.match(value.strip()):
        return "an Authorization header credential"
    if is_benign(value):
        return None
    if SECRET_NAME_RE.search(name) and not REFERENCE_NAME_RE.search(name):
        return f"the name {name!r} says it holds a secret"
    if high_entropy(value):
        return "a high-entropy token"
    return None


def text_secrets(text: str) -> list[str]:
    """Secrets in free text (user data): detectors on each line, and KEY=value / KEY: value assignments."""
    reasons: list[str] = []
    for line in text.splitlines()[:2000]:
        hits = detector_hits(line)
        if hits:
            reasons.append(f"detect-secrets {', '.join(hits)}")
            continue
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*['\"]?([^'\"\s]+)['\"]?\s*$", line)
        if match:
            reason = secret_reason(match.group(1), match.group(2))
            if reason and "name" in reason:
                reasons.append(reason)
    return reasons
