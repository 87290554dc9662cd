"""The bad-input corpus: every bad input gets exactly this one line, and nothing on disk changes.

One table for the whole CLI: malformed recipes (with file, line and YAML path), hostile YAML
(alias bombs, deep nesting), bounds only the machine knows (memory, device), run and export
directories that hold the user's files, and outputs of ``zoo swap`` / ``detect`` / ``prepare``
that would overwrite an input or an existing file. Each case runs the real entry point
(``zoo.cli.main``) in a scratch folder and must exit 2 with ``error: <message>``, no traceback,
and every file of the folder byte-for-byte as before.
"""

from __future__ import annotations

import io
import os
import textwrap
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

import zoo
from zoo.cli import main
from zoo.errors import RecipeError, ZooError
from zoo.recipe import load_recipe
from zoo.recipe.resources import format_bytes, machine_memory, resolved_device
from zoo.rundir import claim_run_dir


BASE = """\
name: tiny
data:
  dataset: synthfaces
  identities: 8
model:
  generator:
    backbone: adain_swap
    resolution: 16
    channels: 8
losses:
  - loss: pixel
stages:
  - stage: build_groups
    resolution: 16
    quantity: 8
  - stage: train
    steps: 2
"""

STAGES = BASE.split("stages:\n")[0] + "stages:\n"
ALIGNED = BASE.replace("  dataset: synthfaces\n  identities: 8", "  dataset: aligned\n  root: faces")


def _laughs(indent: str) -> str:
    """The "billion laughs": nine levels of nine aliases each, 9^9 leaves from 400 bytes."""
    text, previous = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return textwrap.indent(text, indent)


BACKBONES = len(zoo.list_components("backbone"))  # other plugins add some: the count is not this table's concern
_AVAILABLE, _WHOSE = machine_memory(resolved_device("auto"))  # what `device: auto` runs on here
MEMORY = f"more than {_WHOSE} {format_bytes(_AVAILABLE)} of memory"
PNG = b"png"  # a file value: a small real PNG photo is written there
FIFO = b"fifo"  # a file value: a named pipe is made there (reading one blocks until a writer comes)
DEV_ZERO = b"dev-zero"  # a file value: a symlink to /dev/zero (no size, endless bytes) is made there
FACES = {f"faces/p{person}/{photo}.png": PNG for person in range(4) for photo in range(2)}  # an aligned data root
LONG_NAME = "x" * 300  # longer than any file system's 255-byte name limit
Files = dict[str, "str | bytes"]


def recipe_case(name: str, text: str, overrides: list[str], expected: str, files: Files | None = None,
                marks: tuple = ()) -> object:
    """``zoo run recipe.yaml`` (a real run, not a dry run: refusals must come before any work)."""
    argv = ["run", "recipe.yaml", *(arg for override in overrides for arg in ("--set", override))]
    return pytest.param(argv, {"recipe.yaml": text, **(files or {})}, expected, id=name, marks=marks)


def command_case(name: str, argv: list[str], files: Files, expected: str, marks: tuple = ()) -> object:
    return pytest.param(argv, files, expected, id=name, marks=marks)


RECIPES = [
    ("yaml-syntax", "name: tiny\nstages: [\n  - stage: train\n", [],
     "recipe.yaml:3:3: YAML syntax error: expected the node content, but found '-'"),
    ("empty-file", "", [], "recipe.yaml: the recipe is empty"),
    ("comments-only", "# nothing here\n", [], "recipe.yaml: the recipe is empty"),
    ("top-level-list", "- stage: train\n", [],
     "recipe.yaml:1: the recipe must be a mapping of sections (name, data, model, stages, ...), got a list"),
    ("unknown-section", BASE + "trainer:\n  fast: true\n", [],
     "recipe.yaml:18 trainer: unknown section (valid: name, description, seed, device, data, model, losses, stages, output)"),
    ("unknown-stage-argument", BASE.replace("steps: 2", "step: 2"), [],
     "recipe.yaml:17 stages[1].step: unknown argument (valid: steps, epochs, batch_size, lr, betas, optimizer, "
     "weight_decay, trainable, groups, quantity, grad_clip, ema, discriminator_lr, fade_steps, log_every, validate_every, "
     "validate_pairs, snapshot_every, bf16, augment)"),
    ("unknown-stage-name", BASE.replace("stage: train", "stage: trian"), [],
     "recipe.yaml:16 stages[1].stage: unknown stage 'trian': did you mean 'train'? (13 stages available: `zoo list stage`); "
     "plugins that failed to load: broken (`zoo plugins`)"),
    ("import-path-is-not-a-name", BASE.replace("dataset: synthfaces", "dataset: os:system"), [],
     "recipe.yaml:3 data.dataset: unknown dataset 'os:system' (5 datasets available: `zoo list dataset`); "
     "plugins that failed to load: broken (`zoo plugins`)"),
    ("wrong-argument-type", BASE.replace("steps: 2", "steps: many"), [],
     "recipe.yaml:17 stages[1].steps: Input should be a valid integer, unable to parse string as an integer (got 'many')"),
    ("missing-required-argument", BASE.replace("    quantity: 8\n", ""), [],
     "recipe.yaml:13 stages[0].quantity: missing required argument"),
    ("empty-stage-list", STAGES + "  []\n", [],
     "recipe.yaml:12 stages: is empty: a recipe needs at least one stage (see `zoo list stage`)"),
    ("stage-without-name", BASE.replace("  - stage: train\n    steps: 2", "  - steps: 2"), [],
     "recipe.yaml:16 stages[1]: missing 'stage: NAME' naming a registered stage (see `zoo list stage`)"),
    ("missing-section", BASE.split("stages:")[0], [], "recipe.yaml:1 (top level): missing required section 'stages'"),
    ("duplicate-key", BASE.replace("    steps: 2", "    steps: 2\n    steps: 3"), [],
     "recipe.yaml:18 stages[1].steps: duplicate key"),
    ("negative-loss-weight", BASE.replace("  - loss: pixel", "  - loss: pixel\n    weight: -1"), [],
     "recipe.yaml:12 losses[0].weight: must be a finite number >= 0, got -1"),
    ("new-before-grow", BASE.replace("steps: 2", "steps: 2\n    trainable: new"), [],
     "recipe.yaml:18 stages[1].trainable: 'new' means the layers inserted by the last grow, and no grow stage comes before"),
    ("quantity-larger-than-built", BASE.replace("steps: 2", "steps: 2\n    quantity: 50"), [],
     "recipe.yaml:18 stages[1].quantity: 50 is more than the 8 samples per group built before"),
    ("resolution-mismatch", BASE.replace("resolution: 16\n    quantity", "resolution: 32\n    quantity"), [],
     "recipe.yaml:14 stages[0].resolution: labels at 32px do not match the generator's output resolution 16px at this "
     "point (add a grow stage before, or change the resolution)"),
    ("resolution-decreasing",
     BASE + "  - stage: grow\n  - stage: build_groups\n    resolution: 32\n    quantity: 4\n"
            "  - stage: build_groups\n    resolution: 16\n    quantity: 4\n", [],
     "recipe.yaml:23 stages[4].resolution: must not decrease: the previous samples were 32px"),
    ("grow-not-larger", BASE + "  - stage: grow\n    size: 16\n", [],
     "recipe.yaml:19 stages[2].size: must be greater than the current output resolution 16"),
    ("component-argument-out-of-range", BASE.replace("channels: 8", "channels: -4"), [],
     "recipe.yaml:9 model.generator.channels: Input should be greater than 0 (got -4)"),
    ("override-missing-index", BASE, ["stages.5.lr=1e-5"],
     "override 'stages.5.lr=1e-5': stages has 2 items, no index 5"),
    ("override-missing-key", BASE, ["model.critic.channels=3"],
     "override 'model.critic.channels=3': model.critic does not exist (keys here: generator)"),
    ("override-unknown-argument", BASE, ["stages.1.lrr=0.1"],
     "--set stages.1.lrr=0.1 stages[1].lrr: unknown argument (valid: steps, epochs, batch_size, lr, betas, optimizer, "
     "weight_decay, trainable, groups, quantity, grad_clip, ema, discriminator_lr, fade_steps, log_every, validate_every, "
     "validate_pairs, snapshot_every, bf16, augment)"),
    ("override-bad-type", BASE, ["seed=abc"], "--set seed=abc seed: Input should be a valid integer, unable to parse "
     "string as an integer (got 'abc')"),
]


BUILD = "  - stage: build_groups\n    resolution: 16\n    quantity: 8\n"
NO_CUDA = (pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device"),)
# a refusal from a real run must come before the run directory is created
RECIPES += [
    ("alias-bomb-as-extra-keys", BASE + "extra:\n" + _laughs("  "), [],
     "recipe.yaml:24: aliases expand the YAML to more than 100000 values (an alias bomb?); write the values out instead"),
    ("alias-bomb-in-train-groups", BASE.replace("steps: 2", "steps: 2\n    groups:\n" + _laughs("      ")), [],
     "recipe.yaml:24: aliases expand the YAML to more than 100000 values (an alias bomb?); write the values out instead"),
    ("nesting-20000-deep", BASE + "deep: " + "[" * 20000 + "]" * 20000 + "\n", [],
     "recipe.yaml:18: nested more than 64 levels deep"),
    ("recipe-over-1-mib", BASE + "description: '" + "x" * (1024 * 1024) + "'\n", [],
     f"recipe.yaml: {len(BASE) + 1024 * 1024 + 16} bytes is more than a recipe may hold (1048576 bytes)"),
    ("override-alias-bomb", BASE, ["description=" + "{" + _laughs("").replace("\n", ", ") + "}"],
     "override 'description={a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol], b: &b [*a, *a, *a, *a, *a, *a, *a, "
     "*a, *a], c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b], d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c], e: &e [*d, "
     "*d, *d, *d, *d, *d, *d, *d, *d], f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e], g: &g [*f, *f, *f, *f, *f, *f, "
     "*f, *f, *f], h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g], i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h], }':1: "
     "aliases expand the YAML to more than 100000 values (an alias bomb?); write the values out instead"),
    ("generator-memory-bomb", BASE.replace("channels: 8", "channels: 100000\n    max_channels: 100000"), [],
     "recipe.yaml:6 model.generator: this generator needs ~23 TB to train (1,440,446,200,259 parameters, with "
     f"gradients and optimiser state), {MEMORY}"),
    ("sample-memory-bomb", BASE.replace("quantity: 8", "quantity: 1000000000"), [],
     f"recipe.yaml:15 stages[0].quantity: 2000000000 samples at 16px need ~18 TB, {MEMORY}"),
    ("seed-beyond-64-bits", BASE + f"seed: {2**70}\n", [],
     "recipe.yaml:18 seed: Input should be less than or equal to 18446744073709551615 (got 1180591620717411303424)"),
    ("grow-first", BASE.replace(BUILD, "  - stage: grow\n" + BUILD), [],
     "recipe.yaml:13 stages[0]: grow before any train stage: nothing was trained at 16px yet (train first, "
     "METHODS.md P2 before P3, or start the generator at 32px)"),
    ("resolution-not-a-power-of-2", BASE.replace("resolution: 16\n    channels", "resolution: 33\n    channels"), [],
     "recipe.yaml:6 model.generator: adain_swap: resolution must be a power of 2 >= 16, got 33"),
    ("infinite-learning-rate", BASE.replace("steps: 2", "steps: 2\n    lr: .inf"), [],
     "recipe.yaml:18 stages[1].lr: Input should be a finite number (got inf)"),
    ("infinite-loss-weight", BASE, ["losses.0.weight=.inf"], "--set losses.0.weight=.inf losses[0].weight: must be a "
     "finite number >= 0, got inf"),
    ("steps-10-to-the-30", BASE.replace("steps: 2", f"steps: {10**30}"), [],
     f"recipe.yaml:17 stages[1].steps: Input should be less than or equal to 100000000 (got {10**30})"),
    ("bool-is-not-an-int", BASE.replace("steps: 2", "steps: true"), [],
     "recipe.yaml:17 stages[1].steps: Input should be a valid integer (got True)"),
    ("bool-seed", BASE, ["seed=true"], "--set seed=true seed: Input should be a valid integer (got True)"),
    ("missing-data-root", BASE.replace("  dataset: synthfaces\n  identities: 8", "  dataset: aligned\n  root: photos"), [],
     "recipe.yaml:4 data.root: no such folder (relative paths start at {cwd}) (got 'photos')"),
    ("two-identities-one-image-each", BASE.replace("identities: 8", "identities: 2\n  images_per_identity: 1"), [],
     "recipe.yaml:14 stages[0].held_out: the data holds 2 identities, and held_out 0.1 keeps 1 of them for "
     "evaluation: swapping needs at least 2 identities to train on"),
    ("unknown-swapper", BASE.replace("    quantity: 8", "    quantity: 8\n    swapper: nope", 1), [],
     f"recipe.yaml:16 stages[0].swapper: unknown backbone 'nope' ({BACKBONES} backbones available: `zoo list backbone`);"
     " plugins that failed to load: broken (`zoo plugins`)"),
    ("name-dot-dot", BASE.replace("name: tiny", "name: '..'"), [],
     "recipe.yaml:1 name: would put the run directory outside runs/: use letters, digits, '_', '-' (got '..')"),
]
CORPUS = [recipe_case(*row) for row in RECIPES] + [
    recipe_case("device-cuda-on-a-cpu-machine", BASE + "device: cuda\n", [],
                "recipe.yaml:18 device: cuda: this machine has no CUDA device torch can use; use cpu", marks=NO_CUDA),
    # run and export directories: the zoo writes only where it made the folder itself
    recipe_case("output-dir-is-a-file", BASE + "output:\n  dir: run\n", [],
                "recipe.yaml:19 output.dir: run directory run is a file, not a folder", {"run": "my notes"}),
    recipe_case("output-dir-of-user-files", BASE + "output:\n  dir: mine\n", [],
                "run directory mine is not empty (metrics.jsonl, model, recipe.yaml) and was not made by `zoo run` "
                "(no .zoo-run): choose a new or empty directory with -o DIR",
                {"mine/recipe.yaml": "mine", "mine/metrics.jsonl": "{}\n", "mine/model/notes.txt": "notes"}),
    recipe_case("recipe-in-its-own-output-dir", BASE + "output:\n  dir: .\n", [],
                "run directory . is not empty (recipe.yaml) and was not made by `zoo run` (no .zoo-run): choose a new "
                "or empty directory with -o DIR"),
    recipe_case("finished-run-whose-checkpoints-were-deleted", BASE, [],
                "run directory runs/tiny holds a run whose checkpoints are gone (model would be overwritten): choose "
                "another directory with -o DIR",
                {"runs/tiny/.zoo-run": "", "runs/tiny/recipe.yaml": BASE, "runs/tiny/model/config.json": "{}"}),
    recipe_case("export-dir-of-user-files", BASE + "  - stage: export\n    dir: mine\n", [],
                "recipe.yaml:19 stages[2].dir: mine: holds files that are not a faceswap-zoo model folder (notes.txt); "
                "nothing was replaced: choose a new or empty folder", {"mine/notes.txt": "notes"}),
    recipe_case("run-dir-inside-the-data-root", ALIGNED + "output:\n  dir: faces/run\n", [],
                "recipe.yaml:19 output.dir: run directory faces/run is inside the data folder faces: write the results "
                "outside it", FACES),
    recipe_case("export-dir-inside-the-data-root", ALIGNED + "  - stage: export\n    dir: faces/model\n", [],
                "recipe.yaml:19 stages[2].dir: export dir faces/model is inside the data folder faces: write the results "
                "outside it", FACES),
    recipe_case("run-dir-name-too-long", BASE, [f"output.dir={LONG_NAME}"],
                f"--set output.dir={LONG_NAME} output.dir: run directory {LONG_NAME}: the name {'x' * 24}… is 300 "
                "bytes, more than the file system allows (255)"),
    recipe_case("batch-beyond-memory", BASE.replace("steps: 2", f"steps: 2\n    batch_size: {10**12}"), [],
                "recipe.yaml:18 stages[1].batch_size: 1000000000000 samples per group at 16px need ~18432 TB for the "
                f"images alone, {MEMORY}"),
    recipe_case("adam-beta-of-2", BASE.replace("steps: 2", "steps: 2\n    betas: [2, 0.9]"), [],
                "recipe.yaml:18 stages[1].betas[0]: Input should be less than 1 (got 2)"),
    command_case("recipe-is-dev-zero", ["run", "recipe.yaml"], {"recipe.yaml": DEV_ZERO},
                 "recipe.yaml: more than a recipe may hold (1048576 bytes)"),
    command_case("model-config-is-a-fifo", ["swap", "-m", "m", "-s", "a.png", "-t", "b.png", "-o", "out.png"],
                 {"a.png": PNG, "b.png": PNG, "m/config.json": FIFO},
                 "m/config.json: not a regular file (a folder, FIFO or device is never read as a config)"),
    command_case("run-o-empty", ["run", "recipe.yaml", "-o", ""], {"recipe.yaml": BASE},
                 "-o needs a run directory, got an empty name"),
    recipe_case("resume-with-nothing-to-resume", BASE, [], "nothing to resume: no checkpoint in runs/tiny"),
    # zoo swap / detect / prepare: outputs are checked before a model, detector or photo is loaded
    command_case("swap-output-is-the-target", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "b.png"],
                 {"a.png": PNG, "b.png": PNG},
                 "-o b.png is the same file as the target photo b.png: refusing to overwrite an input"),
    command_case("swap-output-is-the-source", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "./a.png"],
                 {"a.png": PNG, "b.png": PNG},
                 "-o a.png is the same file as the source photo a.png: refusing to overwrite an input"),
    command_case("swap-folder-into-itself", ["swap", "-m", "model", "-s", "a.png", "-t", "photos", "-o", "photos"],
                 {"a.png": PNG, "photos/b.png": PNG}, "-o photos is the target folder photos: write the results to "
                 "another folder"),
    command_case("swap-folder-into-a-subfolder", ["swap", "-m", "model", "-s", "a.png", "-t", "photos", "-o",
                                                  "photos/out"], {"a.png": PNG, "photos/b.png": PNG},
                 "-o photos/out is inside the target folder photos: write the results outside it"),
    command_case("swap-existing-output", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "out.png"],
                 {"a.png": PNG, "b.png": PNG, "out.png": PNG}, "-o out.png already exists: pass --force to overwrite it"),
    command_case("swap-folder-existing-output", ["swap", "-m", "model", "-s", "a.png", "-t", "photos", "-o", "out"],
                 {"a.png": PNG, "photos/b.png": PNG, "out/b.png": PNG},
                 "output out/b.png already exists: pass --force to overwrite it"),
    command_case("swap-compare-over-the-source",
                 ["swap", "-m", "model", "-s", "out_compare.png", "-t", "b.png", "-o", "out.png", "--compare"],
                 {"out_compare.png": PNG, "b.png": PNG}, "--compare output out_compare.png is the same file as the "
                 "source photo out_compare.png: refusing to overwrite an input"),
    command_case("swap-compare-over-an-existing-file",
                 ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "out.png", "--compare"],
                 {"a.png": PNG, "b.png": PNG, "out_compare.png": PNG},
                 "--compare output out_compare.png already exists: pass --force to overwrite it"),
    command_case("swap-output-is-a-directory", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "results"],
                 {"a.png": PNG, "b.png": PNG, "results/keep.txt": "x"},
                 "-o results is a folder: give an output file name (e.g. results/result.png)"),
    command_case("swap-on-a-missing-cuda-device", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o",
                                                   "out.png", "--device", "cuda"], {"a.png": PNG, "b.png": PNG},
                 "--device cuda: this machine has no CUDA device torch can use; use cpu", marks=NO_CUDA),
    command_case("swap-on-no-device", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "out.png",
                                       "--device", "gpu"], {"a.png": PNG, "b.png": PNG},
                 "--device gpu: not a device (use cpu, cuda, cuda:N or mps)"),
    command_case("swap-output-without-extension", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "newdir/"],
                 {"a.png": PNG, "b.png": PNG}, "-o newdir has no file extension: give an image file name (e.g. "
                 "newdir.png; .png, .jpg, .webp, .bmp, .tif)"),
    command_case("swap-output-unknown-extension", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "out.txt"],
                 {"a.png": PNG, "b.png": PNG},
                 "-o out.txt: unknown file extension .txt for an image (use .png, .jpg, .webp, .bmp, .tif)"),
    command_case("swap-output-name-too-long", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o",
                                               f"{LONG_NAME}.png"], {"a.png": PNG, "b.png": PNG},
                 f"-o {LONG_NAME}.png: the name {'x' * 24}… is 304 bytes, more than the file system allows (255)"),
    command_case("swap-source-is-a-fifo", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o", "out.png"],
                 {"a.png": FIFO, "b.png": PNG}, "source photo a.png: not a regular file (a FIFO, socket or device)"),
    command_case("swap-video-output-is-the-clip", ["swap", "-m", "model", "-s", "a.png", "-t", "clip.mp4", "-o",
                                                   "clip.mp4", "--force"], {"a.png": PNG, "clip.mp4": "a video"},
                 "-o clip.mp4 is the same file as the target video clip.mp4: refusing to overwrite an input"),
    command_case("detect-a-fifo", ["detect", "x.jpg"], {"x.jpg": FIFO},
                 "cannot read image x.jpg: not a regular file (a FIFO, socket or device)"),
    command_case("detect-draw-into-a-folder", ["detect", "a.png", "--draw", "boxes/"], {"a.png": PNG, "boxes/k": "x"},
                 "--draw boxes is a folder: give a picture file name (e.g. boxes/boxes.png)"),
    command_case("detect-draw-unknown-extension", ["detect", "a.png", "--draw", "boxes.txt"], {"a.png": PNG},
                 "--draw boxes.txt: unknown file extension .txt for an image (use .png, .jpg, .webp, .bmp, .tif)"),
    command_case("eval-output-exists", ["eval", "-m", "model", "-d", "synthfaces", "-o", "report.json"],
                 {"report.json": "my report"}, "-o report.json already exists: pass --force to overwrite it"),
    command_case("eval-output-inside-the-model", ["eval", "-m", "model", "-d", "synthfaces", "-o", "model/config.json"],
                 {"model/config.json": "{}"},
                 "-o model/config.json is inside the model folder model: write outputs outside the inputs"),
    command_case("swap-output-is-a-fifo-even-with-force", ["swap", "-m", "model", "-s", "a.png", "-t", "b.png", "-o",
                                                          "out.png", "--force"], {"a.png": PNG, "b.png": PNG, "out.png": FIFO},
                 "-o out.png is not a regular file (a FIFO, socket or device): refusing to replace it"),
    command_case("detect-draw-over-a-fifo-even-with-force", ["detect", "a.png", "--draw", "d.png", "--force"],
                 {"a.png": PNG, "d.png": FIFO},
                 "--draw d.png is not a regular file (a FIFO, socket or device): refusing to replace it"),
    command_case("detect-draw-over-the-input", ["detect", "a.png", "--draw", "a.png"], {"a.png": PNG},
                 "--draw a.png is the same file as the input image a.png: refusing to overwrite an input"),
    command_case("detect-draw-over-an-existing-file", ["detect", "a.png", "--draw", "boxes.png"],
                 {"a.png": PNG, "boxes.png": PNG}, "--draw boxes.png already exists: pass --force to overwrite it"),
    command_case("prepare-into-the-photo-folder", ["prepare", "photos", "photos", "--size", "64"], {"photos/a.png": PNG},
                 "output folder photos is the photo folder photos: write the results to another folder"),
    command_case("prepare-into-a-file", ["prepare", "photos", "notes.txt", "--size", "64"],
                 {"photos/a.png": PNG, "notes.txt": "mine"}, "output folder notes.txt is a file, not a folder"),
    command_case("prepare-into-a-folder-of-user-files", ["prepare", "photos", "mine", "--size", "64"],
                 {"photos/a.png": PNG, "mine/report.tsv": "my report"}, "output folder mine is not empty and was not "
                 "made by `zoo prepare` (no prepare.json): choose a new or empty folder"),
]


def _png() -> bytes:
    encoded = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 150, 120)).save(encoded, "PNG")
    return encoded.getvalue()


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize(("argv", "files", "expected"), CORPUS)
def test_bad_input_gets_exact_message_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], files: Files, expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        if content in (FIFO, DEV_ZERO):
            os.mkfifo(name) if content == FIFO else os.symlink("/dev/zero", name)
            continue
        data = _png() if content == PNG else content
        Path(name).write_bytes(data) if isinstance(data, bytes) else Path(name).write_text(data)
    if expected.startswith("nothing to resume"):
        argv = [*argv, "--resume"]
    expected = expected.replace("{cwd}", str(tmp_path))
    before = _snapshot(tmp_path)
    started = time.perf_counter()
    with pytest.raises(SystemExit) as exited:
        main(argv)
    seconds = time.perf_counter() - started
    stdout, stderr = capsys.readouterr()
    assert (exited.value.code, stderr) == (2, f"error: {expected}\n")
    assert stdout == ""
    assert _snapshot(tmp_path) == before, "a refused command changed files"
    assert seconds < 30, f"took {seconds:.1f}s"  # a hang (alias bomb) would never get here


def test_recipe_errors_are_the_same_through_the_python_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text, overrides, expected in RECIPES[:3]:
        Path("recipe.yaml").write_text(text)
        with pytest.raises(ZooError) as raised:
            load_recipe("recipe.yaml", overrides)
        assert str(raised.value) == expected, name


def test_a_second_run_on_a_locked_run_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("recipe.yaml").write_text(BASE)
    with claim_run_dir(Path("runs/tiny")):  # what a running `zoo run` holds (a real flock on .zoo-run.lock)
        with pytest.raises(SystemExit) as exited:
            main(["run", "recipe.yaml"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (f"error: run directory runs/tiny is in use by another `zoo run` (pid {os.getpid()}): "
                                       "wait for it to finish, or choose another directory with -o DIR\n")
    assert sorted(p.name for p in Path("runs/tiny").iterdir()) == [".zoo-run", ".zoo-run.lock"]


def test_all_problems_are_reported_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = BASE.replace("steps: 2", "steps: 0").replace("channels: 8", "channels: wide") + "extra: 1\n"
    Path("recipe.yaml").write_text(text)
    with pytest.raises(RecipeError) as raised:
        load_recipe("recipe.yaml")
    assert raised.value.problems == [
        "recipe.yaml:18 extra: unknown section (valid: name, description, seed, device, data, model, losses, stages, output)",
        "recipe.yaml:9 model.generator.channels: Input should be a valid integer, unable to parse string as an integer (got 'wide')",
        "recipe.yaml:17 stages[1].steps: Input should be greater than 0 (got 0)",
    ]


def test_output_dir_override_on_a_recipe_without_an_output_section(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("recipe.yaml").write_text(BASE)  # no output: section, as `zoo run recipe.yaml -o elsewhere` meets it
    assert load_recipe("recipe.yaml", ["output.dir=elsewhere"]).run_dir == Path("elsewhere")
    assert load_recipe("recipe.yaml", ["output.checkpoint_every=5"]).output.checkpoint_every == 5
    with pytest.raises(ZooError, match="^override 'outptu.dir=x': outptu does not exist"):
        load_recipe("recipe.yaml", ["outptu.dir=x"])  # a misspelt section is still refused


def test_overrides_reach_nested_keys_and_list_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("recipe.yaml").write_text(BASE)
    recipe = load_recipe("recipe.yaml", ["stages.1.lr=1e-5", "seed=3", "model.generator.channels=16", "stages.1.groups=[fake_label]"])
    assert recipe.seed == 3
    assert recipe.stages[1].args["lr"] == pytest.approx(1e-5)
    assert recipe.stages[1].args["groups"] == ["fake_label"]
    assert recipe.model["generator"].args["channels"] == 16


@pytest.mark.parametrize("name", sorted(p.name for p in (Path(__file__).parent.parent / "recipes").glob("*.yaml")))
def test_shipped_recipes_validate(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the placeholders the recipes name must exist to validate (a dry run names a missing folder or file),
    # and the data folder must hold enough people to swap between (4 people, 2 crops each)
    monkeypatch.chdir(tmp_path)
    for person in range(4):
        (tmp_path / "data" / "faces" / f"p{person}").mkdir(parents=True)
        for photo in range(2):
            (tmp_path / "data" / "faces" / f"p{person}" / f"{photo}.png").write_bytes(_png())
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "mobilefacenet_casia.safetensors").touch()
    path = Path(__file__).parent.parent / "recipes" / name
    if "${ZOO_ASSETS}" in path.read_text():  # a recipe on the shared real faces (faces128)
        from conftest import assets_dir

        assets = assets_dir()
        if assets is None:
            pytest.skip("shared assets not found: set ZOO_ASSETS or place them at ../shared/assets")
        monkeypatch.setenv("ZOO_ASSETS", str(assets))
    recipe = load_recipe(path)
    assert len(recipe.plans) == len(recipe.stages) > 0


def test_recipe_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ZooError, match=f"^recipe not found: {tmp_path}/nope.yaml$"):
        load_recipe(tmp_path / "nope.yaml")
    with pytest.raises(ZooError, match=f"^recipe path is a directory, not a YAML file: {tmp_path}$"):
        load_recipe(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_run_dir_in_a_read_only_folder_is_refused_at_plan_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("locked").mkdir(mode=0o500)
    Path("recipe.yaml").write_text(BASE + "output:\n  dir: locked/run\n")
    with pytest.raises(ZooError) as raised:
        load_recipe("recipe.yaml")
    assert str(raised.value) == "recipe.yaml:19 output.dir: run directory locked/run cannot be written: locked is not writable"
