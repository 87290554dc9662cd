"""`zoo run` doing real training: end to end, kill -9 resume, Ctrl-C, 2-process DDP, bad states."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pause_at import kill_when_paused

TINY = """\
name: tiny
seed: 7
data:
  dataset: synthfaces
  identities: 12
  images_per_identity: 4
model:
  generator:
    backbone: adain_swap
    resolution: 16
    channels: 8
    max_channels: 16
    downsamples: 1
    blocks: 1
    id_dim: 16
  discriminator:
    backbone: patchgan
    channels: 8
    num_scales: 1
losses:
  - loss: pixel
  - loss: adversarial
    weight: 0.05
stages:
  - stage: build_groups
    resolution: 16
    quantity: 32
  - stage: train
    steps: 12
    batch_size: 4
    lr: 0.002
  - stage: grow
    size: 32
  - stage: build_groups
    resolution: 32
    quantity: 16
  - stage: train
    steps: 8
    batch_size: 4
    trainable: new
  - stage: train
    steps: 8
    batch_size: 4
    lr: 0.0005
    validate_every: 4
  - stage: export
output:
  dir: run
  checkpoint_every: 3
"""


def zoo_process(cwd: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "zoo", "run", "recipe.yaml", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def run_zoo(cwd: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    process = zoo_process(cwd, *args, **kwargs)
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def weights(directory: Path) -> dict[str, torch.Tensor]:
    return load_file(str(directory / "run" / "model" / "model.safetensors"))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("uninterrupted")
    (directory / "recipe.yaml").write_text(TINY)
    result = run_zoo(directory)
    assert result.returncode == 0, result.stderr
    return directory


def test_run_writes_model_folder_metrics_grids_and_summary(uninterrupted: Path) -> None:
    run = uninterrupted / "run"
    assert {p.name for p in (run / "model").iterdir()} >= {"model.safetensors", "config.json", "recipe.yaml", "README.md"}
    grids = sorted(p.name for p in (run / "grids").glob("*.png"))
    assert grids == ["stage02-train-16px.png", "stage05-train-32px.png", "stage06-train-32px.png"]
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 3
    checks = [json.loads(line) for line in lines if '"validate"' in line]
    assert [(c["stage"], c["step"], c["resolution"]) for c in checks] == [(5, 4, 32), (5, 8, 32)]
    assert all(0 < c["val_l1"] < 1 for c in checks)
    card = (run / "model" / "README.md").read_text()
    assert "\n- face-swap\n" in card and "A face-swap model made with faceswap-zoo" in card and "zoo swap --model" in card
    config = (run / "model" / "config.json").read_text()
    assert '"growth": [\n' in config or '"growth": [32]' in config


def latest_label(directory: Path) -> str:
    checkpoints = directory / "run" / "checkpoints"
    state = json.loads((checkpoints / (checkpoints / "latest").read_text() / "state.json").read_text())
    return ("end of" if state["stage_done"] else f"step {state['step']} of") + f" stage {state['stage_index'] + 1}"


def test_kill_9_anywhere_then_resume_ends_bit_identical(uninterrupted: Path, tmp_path: Path) -> None:
    """Five hard kills, each at an exact point; every resume starts where the last checkpoint left off.

    Stages (numbered from 1, as the zoo prints them): 1 build_groups, 2 train (12 steps), 3 grow,
    4 build_groups, 5 train new, 6 train all, 7 export; checkpoints every 3 steps. Call numbers
    count within each (resumed) process.
    """
    (tmp_path / "recipe.yaml").write_text(TINY)
    checkpoints = tmp_path / "run" / "checkpoints"
    kills = [
        # (function paused, its call number, before/after it, where the run must resume)
        ("zoo.checkpoint:Checkpointer.save", 3, "after", "step 6 of stage 2"),  # mid-stage, in training
        # mid-way through the 32px build_groups: its fake-template group is built, the fake-label group not yet
        ("zoo_datasets.samples:_fake_label", 1, "before", "end of stage 3"),
        ("zoo.checkpoint:_save_tensors", 6, "after", "end of stage 4"),  # mid-way through writing a checkpoint
        ("zoo.checkpoint:Checkpointer.save", 4, "after", "step 3 of stage 6"),  # mid-stage, the last train
        ("zoo.modelfolder.save:_save_weights", 1, "after", "end of stage 6"),  # during export
    ]
    resumed_from = None
    for target, call, when, resume_point in kills:
        stderr = kill_when_paused(tmp_path, target, call, when, "run", "recipe.yaml", *(["--resume"] if resumed_from else []))
        if resumed_from:  # this process started exactly where the previous kill left the run
            assert f"resuming tiny from {resumed_from} (" in stderr, stderr
        assert latest_label(tmp_path) == resume_point, target
        resumed_from = resume_point
        if target.endswith("_save_tensors"):  # the half-written checkpoint is a hidden temporary, never `latest`
            assert [p.name.startswith(".ckpt-") for p in checkpoints.iterdir() if p.name.endswith(".tmp")] == [True]
        assert not (tmp_path / "run" / "model" / "model.safetensors").exists()
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 0, result.stderr
    assert "resuming tiny from end of stage 6" in result.stderr
    expected, resumed = weights(uninterrupted), weights(tmp_path)
    assert expected.keys() == resumed.keys()
    for name in expected:
        assert torch.equal(expected[name], resumed[name]), name
    full = (uninterrupted / "run" / "metrics.jsonl").read_text().splitlines()
    again = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(full) == len(again)
    assert not list((tmp_path / "run").glob(".model.*")), "a staging folder of the killed export was left behind"
    assert not list(checkpoints.glob(".ckpt-*.tmp")), "the killed checkpoint's temporary was left behind"


def test_truncated_checkpoint_names_the_file_and_offers_the_previous_one(uninterrupted: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(uninterrupted / "run", tmp_path / "run")
    (tmp_path / "recipe.yaml").write_text(TINY)
    checkpoints = tmp_path / "run" / "checkpoints"
    newest = checkpoints / (checkpoints / "latest").read_text()
    previous = max(p for p in checkpoints.glob("ckpt-*") if p != newest)
    parts = newest / "parts.safetensors"
    parts.write_bytes(parts.read_bytes()[: parts.stat().st_size // 2])
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    prefix = f"error: checkpoint file run/checkpoints/{newest.name}/parts.safetensors is unreadable ("
    assert line.startswith(prefix), line
    assert line.endswith(f"); the previous checkpoint {previous.name} (end of stage 6) reads fine: "
                         f"delete run/checkpoints/{newest.name} to resume from it"), line
    shutil.rmtree(newest)  # as offered: the run continues from the previous checkpoint and ends the same
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 0, result.stderr
    assert "resuming tiny from end of stage 6" in result.stderr
    expected, resumed = weights(uninterrupted), weights(tmp_path)
    assert all(torch.equal(expected[name], resumed[name]) for name in expected)


@pytest.mark.parametrize("pointer", ["", "../../..", "ckpt-999999-s00-0000000"])
def test_a_latest_pointer_naming_no_checkpoint_resumes_from_the_newest(uninterrupted: Path, tmp_path: Path,
                                                                       pointer: str) -> None:
    """An emptied, edited or stale ``latest`` never reads another folder, nor says to delete good checkpoints."""
    from zoo.checkpoint import Checkpointer

    import shutil

    shutil.copytree(uninterrupted / "run", tmp_path / "run")
    checkpoints = tmp_path / "run" / "checkpoints"
    newest = checkpoints / (checkpoints / "latest").read_text()
    (checkpoints / "latest").write_text(pointer)
    found = Checkpointer(tmp_path / "run").latest()
    assert found is not None and found.path == newest and found.label == "end of stage 7"


def test_a_checkpoint_of_an_older_format_is_a_version_line_not_a_corrupt_file(uninterrupted: Path,
                                                                               tmp_path: Path) -> None:
    import shutil

    shutil.copytree(uninterrupted / "run", tmp_path / "run")
    (tmp_path / "recipe.yaml").write_text(TINY)
    checkpoints = tmp_path / "run" / "checkpoints"
    newest = checkpoints / (checkpoints / "latest").read_text()
    state = json.loads((newest / "state.json").read_text())
    assert state.pop("format") == 2
    state["artifact_meta"] = state.pop("facts")  # what the zoo wrote before typed facts
    (newest / "state.json").write_text(json.dumps(state))
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: checkpoint run/checkpoints/{newest.name} was written by an older faceswap-zoo (checkpoint format 1, "
        "this version reads 2): finish the run with the version that started it, or start it over")


def test_existing_run_is_never_overwritten(uninterrupted: Path) -> None:
    before = weights(uninterrupted)
    result = run_zoo(uninterrupted)
    assert result.returncode == 2
    assert result.stderr.startswith("error: run already holds a run (checkpoint at end of stage 7); continue it with --resume")
    after = weights(uninterrupted)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_resume_refuses_a_changed_recipe_and_shows_the_difference(uninterrupted: Path, tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(TINY.replace("seed: 7", "seed: 8"))
    (tmp_path / "run").symlink_to(uninterrupted / "run")
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 2
    assert "the recipe differs from the one run was trained with (use --force to continue anyway)" in result.stderr
    assert "-seed: 7\n+seed: 8" in result.stderr


def test_ctrl_c_writes_a_checkpoint_and_exits_cleanly(tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(TINY.replace("checkpoint_every: 3", "checkpoint_every: 1000"))
    process = zoo_process(tmp_path)
    metrics = tmp_path / "run" / "metrics.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 1):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "checkpoint written, continue with --resume" in stderr
    assert "Traceback" not in stderr
    result = run_zoo(tmp_path, "--resume")
    assert result.returncode == 0, result.stderr


def test_nan_loss_stops_with_step_and_terms(tmp_path: Path) -> None:
    recipe = TINY.replace("lr: 0.002", "lr: 1.0e+12\n    optimizer: sgd")
    (tmp_path / "recipe.yaml").write_text(recipe)
    result = run_zoo(tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: stage 2 (train): loss is not finite (")
    assert "last good checkpoint: " in line and "lower the learning rate or set grad_clip" in line


def test_disk_full_while_checkpointing_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(TINY)

    # Files above 320 KiB fail with EFBIG, like a full disk: the end-of-stage-0 checkpoint (weights
    # about 240 KiB) fits, the first mid-training one (Adam state, about 480 KiB) does not.
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (320 * 1024, 320 * 1024))

    result = run_zoo(tmp_path, preexec_fn=limit_file_size)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: could not write checkpoint in run/checkpoints: File too large; the previous checkpoint (ckpt-")
    assert line.endswith(") is intact")
    pointer = (tmp_path / "run" / "checkpoints" / "latest").read_text()
    assert (tmp_path / "run" / "checkpoints" / pointer / "state.json").is_file()
    assert not list((tmp_path / "run" / "checkpoints").glob(".*.tmp"))


def test_two_process_ddp_matches_one_process(tmp_path: Path) -> None:
    # SGD, not Adam: Adam divides each gradient element by its own running scale, so an element
    # whose true gradient is ~0 turns the rounding difference between two batch splits into a
    # learning-rate-sized step. SGD is linear in the gradient, so equal global-batch gradients
    # (what DDP promises) give equal weights. The last stage is kept short: the GAN's
    # discriminator amplifies rounding differences over tens of steps (seen: 1e-5 after 3 steps).
    short = TINY.replace("    batch_size: 4\n", "    batch_size: 4\n    optimizer: sgd\n")
    short = short.replace("lr: 0.002", "lr: 0.05").replace("lr: 0.0005", "lr: 0.05")
    short = short[: short.rindex("steps: 8")] + "steps: 2" + short[short.rindex("steps: 8") + len("steps: 8"):]
    summaries = {}
    for name, args in (("single", ()), ("double", ("--nproc", "2"))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "recipe.yaml").write_text(short)
        result = run_zoo(tmp_path / name, "--json", *args)
        assert result.returncode == 0, result.stderr
        summaries[name] = [(s["stage"], s["steps"], s["samples"]) for s in json.loads(result.stdout)["stages"]]
    assert summaries["double"] == summaries["single"] and len(summaries["single"]) == 7  # read back from the ranks' run
    single, double = weights(tmp_path / "single"), weights(tmp_path / "double")
    worst = max(float((single[k] - double[k]).abs().max()) for k in single)
    assert worst <= 1e-5, worst
    losses = [(tmp_path / n / "run" / "metrics.jsonl").read_text().splitlines()[0] for n in ("single", "double")]
    assert json.loads(losses[0])["loss"] == pytest.approx(json.loads(losses[1])["loss"], rel=1e-5)


def test_metrics_are_cut_back_to_the_checkpoint_by_a_rename(tmp_path: Path) -> None:
    """Resume keeps the first N lines; a kill while cutting back leaves the old log or the new one, never less."""
    from zoo.metrics import MetricsLog

    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(f'{{"step": {step}}}\n' for step in range(5)))
    before = path.stat().st_ino
    log = MetricsLog(path)
    log.truncate(3)
    assert path.read_text() == '{"step": 0}\n{"step": 1}\n{"step": 2}\n' and log.lines == 3
    assert path.stat().st_ino != before, "cut back in place: a kill half-way would lose the kept lines too"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.jsonl"]
