"""python -m docgen: write every generated page; with --check, exit 1 naming each stale one instead."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nhi.preflight.errors import PreflightError

from . import REPO
from .outputs import FIX, MissingMarkers
from .site import build_site

EXIT_OK, EXIT_STALE, EXIT_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a generated file is stale")
    args = parser.parse_args(argv)
    try:
        site = build_site(REPO)
        if args.check:
            problems = site.stale(REPO)
            for problem in problems:
                print(f"{problem}: run `{FIX}`", file=sys.stderr)
            return EXIT_STALE if problems else EXIT_OK
        changed = site.write(REPO)
    except (MissingMarkers, PreflightError) as error:  # a lost marker, a broken dev stack, no Graphviz
        print(f"docgen: {error}", file=sys.stderr)
        return EXIT_ERROR
    for path in changed:
        print(f"wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
