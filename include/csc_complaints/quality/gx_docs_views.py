"""Great Expectations' Data Docs views, with their Jinja templates compiled once per machine.

GX renders each Data Docs page with a fresh Jinja environment, so every validation compiled the
same thirty-odd templates again: about 1.4 s of a row check that validates a few rows. These
views keep the compiled templates in a bytecode cache on disk (Jinja checks each template's
source against its cached code), shared by every task process of the same user and GX version.
The pages they render are the same. gx_validation names them in its Data Docs site config; this
module imports GX, so only GX imports it.
"""

from __future__ import annotations

import getpass
import tempfile
from pathlib import Path

import great_expectations
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import FileSystemBytecodeCache


def _cache() -> FileSystemBytecodeCache:
    folder = Path(tempfile.gettempdir()) / (
        f"csc-complaints-gx-jinja-{great_expectations.__version__}-{getpass.getuser()}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(str(folder))


class CachedPageView(DefaultJinjaPageView):
    """A validation's page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _cache()


class CachedIndexPageView(DefaultJinjaIndexPageView):
    """The site's index."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _cache()
