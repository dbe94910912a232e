"""The hypothesis settings of the property tests that hold an incremental step (the build, the
row checks) to a full one after random change sequences."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

CHANGE_SEQUENCES = settings(
    max_examples=int(os.environ.get("INCREMENTAL_EXAMPLES", "3")),
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    # Each example runs GX a few times: shrinking a failure would take many minutes, so the
    # failing sequence is reported as generated.
    phases=(Phase.explicit, Phase.generate),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
