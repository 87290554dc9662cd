"""Ctrl-C through ``uv run``: the terminal signals the whole process group and uv forwards it again.

One key press must still mean "checkpoint and stop" (the ``--resume`` hint), and only a second,
deliberate Ctrl-C a moment later aborts. The run is started the way a user starts it, under
``uv run`` in its own process group, and the group gets the signal like a terminal sends it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from installed_plugins import TESTS, uv_binary

REPO = TESTS.parent

RECIPE = """\
name: interrupt
seed: 3
data: {dataset: synthfaces, identities: 8, images_per_identity: 4}
model:
  generator: {backbone: adain_swap, resolution: 16, channels: 8, max_channels: 16, downsamples: 1, blocks: 1, id_dim: 16}
losses:
  - loss: pixel
stages:
  - {stage: build_groups, resolution: 16, quantity: QUANTITY}
  - {stage: train, steps: 100000, batch_size: BATCH, log_every: 1}
  - {stage: export}
output: {dir: run, checkpoint_every: 1000000}
"""


def _start(cwd: Path, quantity: int, batch: int = 4) -> subprocess.Popen[str]:
    (cwd / "recipe.yaml").write_text(RECIPE.replace("QUANTITY", str(quantity)).replace("BATCH", str(batch)))
    command = [uv_binary(), "run", "--project", str(REPO), "--frozen", "--no-sync", "--offline",
               "zoo", "run", "recipe.yaml"]
    return subprocess.Popen(command, cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for(condition, seconds: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _ctrl_c(process: subprocess.Popen[str]) -> None:
    """What a terminal does: SIGINT to every process of the foreground group (uv and the zoo)."""
    os.killpg(os.getpgid(process.pid), signal.SIGINT)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_one_ctrl_c_under_uv_run_writes_a_checkpoint_and_says_resume(tmp_path: Path) -> None:
    process = _start(tmp_path, quantity=64, batch=64)  # steps long enough for the late copy to land in one
    metrics = tmp_path / "run" / "metrics.jsonl"
    _wait_for(lambda: metrics.exists() and '"step": 3' in metrics.read_text())
    (zoo,) = _children(process.pid)
    _ctrl_c(process)  # the zoo gets it from the group, and uv forwards it once more
    time.sleep(0.05)
    os.kill(zoo, signal.SIGINT)  # a forwarded copy that arrives late must not count as a second press
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert "Ctrl-C: stopping at the next step with a checkpoint (Ctrl-C again to abort)" in lines
    assert lines[-1].startswith("error: interrupted at stage 2 train step ")
    assert lines[-1].endswith("; checkpoint written, continue with --resume")
    assert list((tmp_path / "run" / "checkpoints").glob("ckpt-*"))


def test_a_second_deliberate_ctrl_c_aborts(tmp_path: Path) -> None:
    """During build_groups (no step boundary for seconds) the first Ctrl-C waits; the second aborts."""
    process = _start(tmp_path, quantity=100000)
    _wait_for(lambda: process.poll() is not None or (tmp_path / "run" / "recipe.yaml").exists())
    time.sleep(1.0)  # into build_groups
    _ctrl_c(process)
    time.sleep(1.5)
    _ctrl_c(process)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert "Ctrl-C: stopping at the next step with a checkpoint (Ctrl-C again to abort)" in lines
    assert lines[-1] == "aborted"
    assert "continue with --resume" not in stderr and "Traceback" not in stderr


def test_a_forwarded_copy_after_the_run_stopped_is_not_a_second_press() -> None:
    """The CI race: the run already stopped (its last step was short) when uv's copy of the press lands."""
    from types import SimpleNamespace

    from zoo.runner import ABORT_AFTER_S, _interrupt_flag

    context = SimpleNamespace(interrupted=False, dist=SimpleNamespace(is_main=False))
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, whatever an earlier test left
    try:
        with _interrupt_flag(context):  # type: ignore[arg-type]
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        assert context.interrupted
        os.kill(os.getpid(), signal.SIGINT)  # the late copy: ignored, no KeyboardInterrupt
        time.sleep(0.01)
        time.sleep(ABORT_AFTER_S + 0.1)
        raised = False
        try:
            os.kill(os.getpid(), signal.SIGINT)  # a real press later still interrupts
            time.sleep(0.01)
        except KeyboardInterrupt:
            raised = True
        assert raised
    finally:
        signal.signal(signal.SIGINT, before)
