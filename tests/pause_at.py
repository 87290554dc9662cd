"""Run the real ``zoo`` CLI with one function paused, so a test can ``kill -9`` it at an exact point.

    python tests/pause_at.py MODULE:QUALNAME CALL before|after FLAG -- ARGS...

On the CALL-th call (1-based) of the function, just before or just after the real call, the
process writes FLAG and sleeps until it is killed. Nothing else changes: the code being killed
is the real code, and without the pause the kill would be a race against a few milliseconds.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any


def _hold(flag: Path) -> None:
    flag.write_text("paused\n")
    while True:
        time.sleep(60)


def install(target: str, call: int, when: str, flag: Path) -> None:
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = 0

    def paused(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call and when == "before":
            _hold(flag)
        result = original(*args, **kwargs)
        if calls == call and when == "after":
            _hold(flag)
        return result

    static = isinstance(inspect.getattr_static(owner, name), staticmethod)
    setattr(owner, name, staticmethod(paused) if static else paused)


if __name__ == "__main__":
    target, call, when, flag, separator, *args = sys.argv[1:]
    assert separator == "--" and when in ("before", "after"), __doc__
    install(target, int(call), when, Path(flag))
    from zoo.cli import main

    main(args)
