"""`revokeSessionsBefore` in a stack file: a UTC time to the second, or refused with its key path."""

from __future__ import annotations

import pytest

import settings
from tests.conftest import stack_file_config


@pytest.mark.parametrize("value", ["2026-12-06T03:30:00Z"])
def test_a_utc_time_is_accepted_for_a_workload_and_the_pipeline(value: str) -> None:
    config = stack_file_config("prod")
    config["nhi-platform:workloads"][3]["revokeSessionsBefore"] = value
    config["nhi-platform:ci"]["revokeSessionsBefore"] = value
    parsed = settings.parse_config(config)
    assert parsed.workloads[3].revoke_sessions_before == value
    assert parsed.ci is not None and parsed.ci.revoke_sessions_before == value


@pytest.mark.parametrize("value", ["yesterday", "2026-12-06 03:30:00", "2026-12-06T03:30:00+01:00"])
def test_anything_else_is_refused_with_its_key_path(value: str) -> None:
    config = stack_file_config("prod")
    config["nhi-platform:workloads"][3]["revokeSessionsBefore"] = value
    with pytest.raises(settings.SettingsError) as raised:
        settings.parse_config(config)
    assert "nhi-platform:workloads[3].revokeSessionsBefore" in str(raised.value)
