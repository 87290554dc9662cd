"""``zoo detect``: thin over the detector API; JSON, drawing, one-line errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from zoo.cli import cli, main
from zoo.errors import ZooError
from zoo.assignments import parse_assignments
from zoo_faces.image import load_image


@pytest.fixture(scope="module")
def mobilenet_args(assets) -> list[str]:
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    return ["--detector", "retinaface", "-a", "body=mobilenet0.25", "-a", f"weights={weights}"]


def test_assignments_are_parsed_as_yaml():
    assert parse_assignments(["max_size=640", "verify=false", "body=mobilenet0.25", "weights=", "lr=1e-4"], "-a") == {
        "max_size": 640, "verify": False, "body": "mobilenet0.25", "weights": None, "lr": 0.0001,
    }
    with pytest.raises(ZooError, match=r"-a 'oops' must look like key=value \(e.g. -a body=mobilenet0.25\)"):
        parse_assignments(["oops"], "-a")
    with pytest.raises(ZooError, match=r"value is not valid YAML"):
        parse_assignments(["x=[1, 2"], "-a")


def test_json_and_drawing(assets, mobilenet_args, tmp_path):
    photo = tmp_path / "two.jpg"
    shutil.copy(assets / "faces" / "wild" / "two_people.jpg", photo)  # copied to tmp, never into the repo
    out = tmp_path / "drawn.png"
    result = CliRunner().invoke(cli, ["detect", str(photo), *mobilenet_args, "-a", "max_size=640", "--json",
                                      "--draw", str(out)])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert entry["image"] == str(photo) and (entry["width"], entry["height"]) == (1126, 661)
    assert len(entry["faces"]) == 2
    assert set(entry["faces"][0]) == {"box", "score", "landmarks"} and len(entry["faces"][0]["landmarks"]) == 5
    drawn, original = load_image(out), load_image(photo)
    assert drawn.shape == original.shape
    x1, y1, x2, y2 = (round(v) for v in entry["faces"][0]["box"])
    assert tuple(drawn[y1, (x1 + x2) // 2]) == (0, 255, 0)  # the box's top edge is drawn
    lx, ly = (round(v) for v in entry["faces"][0]["landmarks"][0])
    assert tuple(drawn[ly, lx]) == (255, 0, 0)  # left eye in red
    assert np.array_equal(drawn[-5:, :], original[-5:, :])  # nothing drawn far from the faces


def test_text_output_for_several_images(tmp_path, mobilenet_args):
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (20, 20), (128, 128, 128)).save(blank)
    result = CliRunner().invoke(cli, ["detect", str(blank), str(blank), *mobilenet_args, "--draw",
                                      str(tmp_path / "d.png")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{blank}: 0 faces", f"{blank}: 0 faces"]
    assert (tmp_path / "d-blank.png").is_file()


def test_draw_without_a_suffix_writes_png(tmp_path, mobilenet_args):
    blank = tmp_path / "blank.jpg"
    from PIL import Image

    Image.new("RGB", (20, 20), (128, 128, 128)).save(blank)
    result = CliRunner().invoke(cli, ["detect", str(blank), *mobilenet_args, "--draw", str(tmp_path / "boxes")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "boxes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _run_main(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    return exited.value.code, capsys.readouterr().err.strip()


def test_errors_are_one_line(tmp_path, mobilenet_args, capsys):
    code, message = _run_main(["detect", str(tmp_path / "absent.jpg"), *mobilenet_args], capsys)
    assert code != 0 and message == f"error: cannot read image {tmp_path / 'absent.jpg'}: no such file"
    code, message = _run_main(["detect", "x.jpg", "--detector", "retinaface", "-a", "body=mobilenet"], capsys)
    assert code != 0 and len(message.splitlines()) == 1
    assert "body: Input should be 'resnet50' or 'mobilenet0.25'" in message
    code, message = _run_main(["detect", "x.jpg", "--detector", "retinafce"], capsys)
    assert code != 0 and "did you mean 'retinaface'" in message
