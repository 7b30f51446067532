"""Load the pack's lazy data in the background as soon as the pack starts.

The IAM action database and the secret detectors load on first use (so printing the port stays fast), but
first use then falls inside the engine's first Analyze calls. Loading them on a daemon thread while the
engine is still running the program hides that cost; a rule that needs them first simply loads them itself
(the loaders are idempotent caches)."""

from __future__ import annotations

import threading

from . import collection, iamdb, secrets


def _load() -> None:
    iamdb.load()  # the compact extract; services are indexed when a rule first asks for one
    secrets._detectors()
    secrets._entropy()
    collection.freeze_loaded()  # long-lived from here on: later collections need not scan it


def start() -> threading.Thread:
    thread = threading.Thread(target=_load, name="nhi-pack-warmup", daemon=True)
    thread.start()
    return thread
