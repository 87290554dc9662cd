"""One CLI grammar: distinct exit statuses, one ``-a/--detector-arg``, and ``--device`` checked on every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from video_clips import run_zoo, write_clip
from zoo.command_options import detector_on_device
from zoo.errors import EXIT_CODES

NO_CUDA = "error: --device cuda: this machine has no CUDA device torch can use; use cpu\n"
needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")


@pytest.mark.parametrize("argv, message", [
    (["list", "--bogus"], "Error: No such option '--bogus'."),
    (["prepare"], "Error: Missing argument 'SOURCE'."),
    (["prepare", "a", "b", "--size", "16", "--faces", "some"],
     "Error: Invalid value for '--faces': 'some' is not one of 'largest', 'all'."),
    (["swap", "-m", "m", "-s", "s.jpg", "-t", "t.jpg", "-o", "o.jpg", "--face-index", "-1"],
     "Error: Invalid value for '--face-index': -1 is not in the range x>=0."),
    (["-q", "-v", "list"], "Error: use either -q/--quiet or -v/--verbose, not both"),
])
def test_usage_errors_exit_64(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_zoo(argv, capsys)
    assert (code, out) == (64, "")
    assert err.splitlines()[-1] == message


def test_bad_input_exits_2_and_a_bug_exits_1_with_its_traceback(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zoo(["info", "pixl"], capsys)
    assert (code, err) == (2, "error: no component named 'pixl': did you mean 'pixel' (loss)?\n")
    bug = ("import click, zoo.cli\n"
           "@zoo.cli.cli.command('boom')\n"
           "def boom():\n    raise RuntimeError('a bug in a command')\n"
           "zoo.cli.main(['boom'])\n")
    crashed = subprocess.run([sys.executable, "-c", bug], capture_output=True, text=True, cwd=tmp_path)
    assert crashed.returncode == 1
    assert "Traceback (most recent call last)" in crashed.stderr
    assert crashed.stderr.splitlines()[-1] == "RuntimeError: a bug in a command"


def test_help_epilog_lists_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_zoo(["--help"], capsys)
    assert code == 0
    table = out.split("Exit status:\n")[1].splitlines()
    assert [int(line.split()[0]) for line in table] == [0, 1, 2, 3, 64, 130]
    assert [line.split(maxsplit=1)[1] for line in table] == [meaning for _, meaning in EXIT_CODES]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert all(f"| {code} |" in readme for code, _ in EXIT_CODES)


@pytest.fixture(scope="module")
def small_photo(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320 px copy of one wild photo (in a tmp dir, never the repo): dlib's HOG finds its face in ~0.1 s."""
    from PIL import Image

    path = tmp_path_factory.mktemp("photo") / "obama.jpg"
    with Image.open(assets / "faces" / "wild" / "obama_720p.jpg") as photo:
        photo.resize((320, 180)).save(path)
    return path


def test_detector_arg_is_the_name_in_every_command_and_arg_still_works(small_photo: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("detect", "prepare", "swap", "eval"):
        code, out, _ = run_zoo([command, "--help"], capsys)
        assert code == 0 and "-a, --detector-arg KEY=VALUE" in out, command
        assert "--arg " not in out
    new = run_zoo(["detect", str(small_photo), "-a", "model=hog", "--json"], capsys)
    old = run_zoo(["detect", str(small_photo), "--arg", "model=hog", "--json"], capsys)
    assert new[0] == old[0] == 0 and new[1] == old[1] and '"landmarks"' in new[1]
    deprecation = ("warning: 'zoo detect --arg' is deprecated and read until faceswap-zoo 0.3: write "
                   "'-a/--detector-arg' (the same name in every command)")
    assert deprecation in old[2].splitlines() and "deprecated" not in new[2]
    code, _, err = run_zoo(["prepare", str(small_photo.parent), str(tmp_path / "out"), "--size", "32",
                            "--arg", "modl=cnn"], capsys)
    assert code == 2 and err.splitlines()[0] == deprecation.replace("zoo detect", "zoo prepare")
    assert err.splitlines()[1].startswith("error: ") and "modl" in err.splitlines()[1]
    assert not (tmp_path / "out").exists()


def test_the_device_goes_to_detectors_that_take_one_and_dlib_stays_on_the_cpu() -> None:
    assert detector_on_device("retinaface", {"body": "mobilenet0.25"}, "cuda") == {"body": "mobilenet0.25",
                                                                                  "device": "cuda"}
    assert detector_on_device("retinaface", {"device": "cpu"}, "cuda") == {"device": "cpu"}  # -a device= wins
    assert detector_on_device("dlib", {"model": "cnn"}, "cuda") == {"model": "cnn"}


@pytest.fixture(scope="module")
def clip(small_photo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from zoo_faces.image import load_image

    frame = load_image(small_photo)
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", [frame, np.ascontiguousarray(frame[:, ::-1])])


COMMANDS = {
    "swap_photo": lambda photo, clip, out: ["swap", "-m", "no-model", "-s", photo, "-t", photo, "-o", out / "o.jpg"],
    "swap_video": lambda photo, clip, out: ["swap", "-m", "no-model", "-s", photo, "-t", clip, "-o", out / "o.mp4"],
    "swap_folder": lambda photo, clip, out: ["swap", "-m", "no-model", "-s", photo, "-t", photo.parent, "-o", out],
    "detect": lambda photo, clip, out: ["detect", photo, "--draw", out / "drawn.png"],
    "prepare": lambda photo, clip, out: ["prepare", photo.parent, out / "prepared", "--size", "32"],
    "eval": lambda photo, clip, out: ["eval", "-m", "no-model", "-d", "synthfaces", "-o", out / "report.json"],
    "run": lambda photo, clip, out: ["run", "quickstart", "-o", out / "run"],
    "run_dry": lambda photo, clip, out: ["run", "quickstart", "--dry-run", "-o", out / "run"],
}


@needs_no_cuda
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_device_is_one_line_on_every_command(command: str, small_photo: Path, clip: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, stderr = run_zoo([*COMMANDS[command](small_photo, clip, out), "--device", "cuda"], capsys)
    assert (code, stdout, stderr) == (2, "", NO_CUDA)
    assert list(out.iterdir()) == []  # refused before anything was written


@needs_no_cuda
def test_a_recipe_device_that_is_missing_names_its_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_zoo(["run", "quickstart", "--dry-run", "-o", tmp_path / "run", "--set", "device=cuda"], capsys)
    assert (code, err) == (2, "error: --set device=cuda device: cuda: this machine has no CUDA device torch can use; "
                              "use cpu\n")
