"""What a failed program run is told about the preflight's own gaps: the lookups that got no offline answer
and the multi-language components that were not constructed. A program that reads a field of an empty lookup
or an output of an unconstructed component fails far from the cause; naming them says where to look."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import PreflightError
from .lookups import LookupLog
from .remote import ComponentPlugin


def with_gaps(
    failure: PreflightError, lookups: LookupLog, components: Iterable[tuple[str, ComponentPlugin]]
) -> PreflightError:
    """`failure` with a paragraph naming each unanswered lookup and each unconstructed component
    (`components`: pairs of `type::name` and the plugin it needs)."""
    lines: list[str] = []
    unanswered = lookups.unanswered()
    if unanswered:
        lines.append("Lookups with no offline answer (the program got empty results from them):")
        lines += [f"  {token}" for token in unanswered]
    unconstructed = sorted(components, key=lambda pair: pair[0])
    if unconstructed:
        lines.append("Multi-language components not constructed offline (their outputs are unknown):")
        lines += [f"  {name}: {plugin.reason()}" for name, plugin in unconstructed]
    if not lines:
        return failure
    return PreflightError(failure.message + "\n" + "\n".join(lines), failure.detail)
