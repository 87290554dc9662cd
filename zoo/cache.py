"""Where the zoo keeps what it derives or downloads: never inside the user's project or photos.

``$ZOO_CACHE`` when set, else ``$XDG_CACHE_HOME/faceswap-zoo``, else ``~/.cache/faceswap-zoo``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """A folder under the zoo's cache root (not created: callers create what they write)."""
    configured = os.environ.get("ZOO_CACHE")
    if configured:
        root = Path(configured).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "faceswap-zoo"
    return root.joinpath(*parts)
