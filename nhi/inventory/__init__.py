"""`nhi inventory`: every non-human identity of a stack (IAM roles and users, EKS access entries, Kubernetes
service accounts) with who can assume it, its credentials, what it can do, its network reach and the images
that run under it, built from the preflight capture (resource types and properties, as the engine sees them).

Modules, one job each: `build` (capture -> Inventory), `model` (the data), `documents` (IAM JSON), `levels`
(policy_sentry access levels), `pods` and `flows` (workload templates and reach), `netpol` (the
NetworkPolicy evaluator), `cells` and `formats` (table, Markdown, JSON), `graph` (Graphviz), `source`
(capture a stack)."""

from .build import build
from .model import Identity, Inventory

__all__ = ["Identity", "Inventory", "build"]
