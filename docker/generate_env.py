"""Fill every empty secret of a compose ``.env`` file with a fresh random value, in place.

    cp .env.example .env && python3 docker/generate_env.py .env

A secret is a ``KEY=`` line with an empty value whose key ends in ``_PASSWORD``, ``_SECRET`` or
``_KEY``. Values already set are never changed, so it is safe to run again after adding a key.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import sys
from pathlib import Path

SECRET_LINE = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*(?:_PASSWORD|_SECRET|_KEY))=\s*$")


def new_secret(key: str) -> str:
    """A random value of the right shape: Airflow's Fernet key is 32 url-safe base64 bytes."""
    if key.endswith("FERNET_KEY"):
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(48 if key.endswith(("_SECRET", "_KEY")) else 24)


def fill_secrets(text: str) -> tuple[str, list[str]]:
    """The text with every empty secret filled, and the keys that were filled."""
    filled: list[str] = []
    lines = []
    for line in text.splitlines():
        match = SECRET_LINE.match(line)
        if match:
            key = match.group("key")
            line = f"{key}={new_secret(key)}"
            filled.append(key)
        lines.append(line)
    return "\n".join(lines) + "\n", filled


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    text, filled = fill_secrets(path.read_text())
    path.write_text(text)
    path.chmod(0o600)
    print(f"{path}: generated {', '.join(filled) if filled else 'nothing (all secrets set)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
