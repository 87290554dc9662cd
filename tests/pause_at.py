"""Run the real ``zoo`` CLI with one function paused, so a test can ``kill -9`` it at an exact point.

    python tests/pause_at.py MODULE:QUALNAME CALL before|after FLAG -- ARGS...

On the CALL-th call (1-based) of the function, just before or just after the real call, the
process writes FLAG and sleeps until it is killed. Nothing else changes: the code being killed
is the real code, and without the pause the kill would be a race against a few milliseconds.
"""

from __future__ import annotations

import importlib
import inspect
import os
import signal
import subprocess
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


def kill_when_paused(cwd: Path, target: str, call: int, when: str, *args: str) -> str:
    """Run ``zoo ARGS`` until the CALL-th call of TARGET pauses it, ``kill -9`` it there; return its stderr."""
    flag = cwd / "paused.flag"
    flag.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, __file__, target, str(call), when, str(flag), "--", *args],
                               cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not flag.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert flag.exists(), f"never reached {target} call {call} (exit {process.returncode}):\n{stderr}"
    assert process.returncode == -signal.SIGKILL, stderr  # killed, not finished
    return stderr


if __name__ == "__main__":
    target, call, when, flag, separator, *args = sys.argv[1:]
    assert separator == "--" and when in ("before", "after"), __doc__
    install(target, int(call), when, Path(flag))
    from zoo.cli import main

    main(args)
