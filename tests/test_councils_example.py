"""include/councils.example.toml, the registry a user copies: it loads as it stands, says every
registry key, and is only an example (include/councils.toml, which make run would read, is not
committed)."""

from __future__ import annotations

import subprocess

from csc_complaints.councils import (
    DEFAULT_REGISTRY_FILE,
    OPTIONAL_KEYS,
    REGISTRY_FILE_VARIABLE,
    REQUIRED_KEYS,
    load_councils,
)
from csc_complaints.settings import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "include" / "councils.example.toml"


def test_the_example_registry_loads_and_shows_every_key():
    councils = load_councils({REGISTRY_FILE_VARIABLE: str(EXAMPLE)})
    assert len(councils) == 2
    assert len({c.source_conn_id for c in councils}) == 2
    text = EXAMPLE.read_text()
    for key in (*REQUIRED_KEYS, *OPTIONAL_KEYS):
        assert f"\n{key} = " in text, key
    assert any(c.overrides for c in councils)  # and a settings key for one council


def test_the_default_registry_file_is_not_committed():
    """make run reads include/councils.toml when it exists: committing one would turn every
    single-council deployment into the example's councils."""
    relative = DEFAULT_REGISTRY_FILE.relative_to(PROJECT_ROOT)
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(relative)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert tracked.returncode != 0, f"{relative} is committed"
