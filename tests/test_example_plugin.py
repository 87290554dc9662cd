"""The example plugin, a stranger's package written against zoo.sdk only, used end to end.

Its training stage writes only its step; the SDK's TrainingLoop gives it exact resume after kill -9.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

import zoo
from pause_at import kill_when_paused

PLUGIN = Path(__file__).parent / "example_plugin" / "zoo_example"
RECIPE = """name: warm
seed: 3
data: {dataset: synthfaces, identities: 8, images_per_identity: 4}
model:
  generator: {backbone: masked_swap, resolution: 32, channels: 8, max_channels: 16, downsamples: 2, blocks: 1,
              id_dim: 16}
stages:
  - {stage: example_warmup, steps: 60, batch_size: 4}
  - {stage: example_note, message: warmed}
  - {stage: export}
output: {dir: run, checkpoint_every: 4}
"""


def _zoo(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "zoo", "run", "recipe.yaml", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_the_example_plugin_imports_only_the_sdk_from_the_zoo() -> None:
    imported = set()
    for module in PLUGIN.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("zoo"):
                imported.add(node.module.split(".")[0] if node.module.startswith("zoo_example") else node.module)
    assert imported <= {"zoo.sdk", "zoo_losses.base", "zoo_example"}, imported  # zoo_losses.base: a type hint only


def test_its_role_reference_and_training_stage_are_registered() -> None:
    assert [s.name for s in zoo.list_components(role="example_filter")] == ["example_box_blur"]
    assert zoo.get_spec("stage", "example_warmup").distribution == "zoo-example-plugin"


def test_its_training_stage_resumes_bit_identically_after_kill_9(tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for folder in (whole, killed):
        folder.mkdir()
        (folder / "recipe.yaml").write_text(RECIPE)
    done = _zoo(whole)
    assert done.wait(timeout=600) == 0, done.communicate()[1]
    # killed just after its third checkpoint (step 12 of 60), not by a race against the clock
    kill_when_paused(killed, "zoo.checkpoint:Checkpointer.save", 3, "after", "run", "recipe.yaml")
    resumed = _zoo(killed, "--resume")
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    assert "resuming warm from step " in stderr and " of stage 1 (" in stderr  # mid-way through the training stage
    expected, got = (load_file(str(f / "run" / "model" / "model.safetensors")) for f in (whole, killed))
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)
    # the typed fact the warm-up put reached the note stage, the same in both runs
    notes = [[json.loads(line) for line in (f / "run" / "metrics.jsonl").read_text().splitlines()
              if '"note"' in line] for f in (whole, killed)]
    assert len(notes[0]) == 1 and notes[0][0]["warmup_loss"] > 0
    assert notes[1][0]["warmup_loss"] == notes[0][0]["warmup_loss"]


def test_a_stage_plans_against_the_typed_fact_an_earlier_stage_put(tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    planned = subprocess.run([sys.executable, "-m", "zoo", "run", "recipe.yaml", "--dry-run"], cwd=tmp_path,
                             text=True, capture_output=True)
    assert planned.returncode == 0, planned.stderr
    assert "note: warmed (after a 60-step warm-up)" in planned.stdout + planned.stderr
