"""`python -m nhi` is the `nhi` command."""

from nhi.cli import run

run()
