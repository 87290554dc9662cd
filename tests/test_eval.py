"""`zoo eval`: each metric checked against swappers whose right answer is known, then the command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import zoo
from zoo.cli import main
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_datasets.base import FaceDataset, resize_faces
from zoo_inference.bootstrap import bootstrap
from zoo_inference.evaluate import EvalError, EvalResult, evaluate_swaps, plan_pairs
from zoo_inference.judges import build_judge, describe_judge_overlap, encoder_roles, judge_independence
from zoo_inference.pose import MEAN_FACE_3D, POSE_POINTS, head_pose


class GlintFaces(FaceDataset):
    """The first images of a few glint identities (aligned 112 px crops), read with PIL."""

    native_resolution = 112

    def __init__(self, root: Path, identities: int = 6, per_identity: int = 6):
        self.files: list[Path] = []
        self.labels: list[int] = []
        for label, folder in enumerate(sorted(root.iterdir())[:identities]):
            for file in sorted(folder.glob("*.png"))[:per_identity]:
                self.files.append(file)
                self.labels.append(label)

    def __len__(self) -> int:
        return len(self.files)

    def identity(self, index: int) -> int:
        return self.labels[index]

    def images(self, indices: Sequence[int], resolution: int, upscaler=None) -> torch.Tensor:
        faces = [torch.from_numpy(np.array(Image.open(self.files[i]).convert("RGB"))) for i in indices]
        return resize_faces(torch.stack(faces).permute(0, 3, 1, 2).float() / 255.0, resolution, upscaler)


class Oracle(nn.Module):
    """A swapper with a known answer: returns the template (does nothing) or the source (ignores the template)."""

    def __init__(self, returns: str, resolution: int = 64):
        super().__init__()
        self.returns, self.input_resolution, self.output_resolution = returns, resolution, resolution

    def swap(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        return template if self.returns == "template" else source


@pytest.fixture(scope="session")
def glint(assets: Path) -> GlintFaces:
    return GlintFaces(assets / "faces" / "glint")


@pytest.fixture(scope="session")
def judge_weights(assets: Path) -> str:
    return str(assets / "weights" / "mobilefacenet_casia.safetensors")


@pytest.fixture(scope="session")
def judge(judge_weights: str) -> nn.Module:
    return build_judge("mobilefacenet", {"weights": judge_weights})


@pytest.fixture(scope="session")
def detector(assets: Path):
    built = zoo.build("detector", "retinaface", body="mobilenet0.25",
                      weights=str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"))
    return built.detect


def test_pairs_are_deterministic_cross_identity_and_sources_stay_out_of_galleries(glint: GlintFaces) -> None:
    plan = plan_pairs(glint, 20, seed=3)
    assert plan == plan_pairs(glint, 20, seed=3)
    assert plan != plan_pairs(glint, 20, seed=4)
    assert all(glint.identity(s) != glint.identity(t) for s, t in zip(plan.sources, plan.templates))
    assert sorted({glint.identity(s) for s in plan.sources}) == list(range(6))
    in_galleries = {index for members in plan.galleries.values() for index in members}
    assert not in_galleries & set(plan.sources)
    assert all(glint.identity(i) == label for label, members in plan.galleries.items() for i in members)


def test_doing_nothing_scores_as_the_template(glint: GlintFaces, judge: nn.Module, detector) -> None:
    result = evaluate_swaps(Oracle("template"), glint, judge, pairs=6, detector=detector)
    metrics = result.metrics
    assert metrics["identity_similarity"] == pytest.approx(metrics["identity_similarity_template"], abs=1e-5)
    assert metrics["retrieval_top1"] == 0.0
    assert metrics["retrieval_as_template"] >= 0.9
    assert metrics["judge_top1_sources"] >= 0.9
    assert metrics["landmark_detected"] == 1.0
    assert metrics["landmark_distance"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["landmark_distance_source"] > 0.02
    assert metrics["psnr"] is None and any("no ground-truth swaps" in note for note in result.notes)


def test_pasting_the_source_scores_identity_but_loses_the_pose(glint: GlintFaces, judge: nn.Module, detector) -> None:
    metrics = evaluate_swaps(Oracle("source"), glint, judge, pairs=6, detector=detector).metrics
    assert metrics["identity_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert metrics["retrieval_top1"] == metrics["judge_top1_sources"] >= 0.9
    assert metrics["retrieval_as_template"] <= 0.1
    assert metrics["landmark_distance"] == pytest.approx(metrics["landmark_distance_source"], abs=1e-6)


def test_without_detector_landmarks_are_skipped_with_a_note(glint: GlintFaces, judge: nn.Module) -> None:
    result = evaluate_swaps(Oracle("template"), glint, judge, pairs=4)
    assert result.metrics["landmark_distance"] is None
    assert "landmark distance skipped: no detector (pass --detector retinaface -a weights=...)" in result.notes
    table = result.table()
    assert table.splitlines()[0].split() == ["metric", "value", "meaning"]
    assert "landmark_distance" in table and "note: landmark distance skipped" in table


def test_judge_without_weights_is_refused() -> None:
    with pytest.raises(EvalError, match=r"^judge 'mobilefacenet' needs pretrained weights .*-j weights=PATH"):
        build_judge("mobilefacenet")


def test_one_identity_is_not_enough(glint: GlintFaces, judge: nn.Module) -> None:
    lonely = GlintFaces(glint.files[0].parent.parent, identities=1)
    with pytest.raises(EvalError, match="needs at least 2 identities with 2 or more faces each"):
        evaluate_swaps(Oracle("template"), lonely, judge, pairs=2)


def test_a_judge_that_trained_the_model_is_flagged() -> None:
    conditioned_on_mobilefacenet = {"identity": {"name": "mobilefacenet", "weights": None}}
    assert describe_judge_overlap(conditioned_on_mobilefacenet, "mobilefacenet") == (
        "the judge 'mobilefacenet' is also the model's conditioning encoder: NOT independent, identity scores "
        "flatter the model (judge with another encoder, e.g. --judge dlib_resnet)")
    assert describe_judge_overlap(conditioned_on_mobilefacenet, "arcface_iresnet") is None
    assert describe_judge_overlap({"identity": {"name": "learned"}}, "mobilefacenet") is None


def test_a_judge_the_recipe_trained_against_is_not_independent() -> None:
    learned = {"identity": {"name": "learned"}}
    recipe = {"losses": [{"loss": "pixel"}, {"loss": "identity", "weight": 0.5},  # default encoder: mobilefacenet
                         {"loss": "feature", "extractor": "arcface_iresnet"}]}
    assert encoder_roles(learned, recipe) == {"mobilefacenet": ["identity-loss encoder"],
                                               "arcface_iresnet": ["feature-loss extractor"]}
    assert judge_independence(learned, "mobilefacenet", recipe) == "judge: mobilefacenet (NOT independent: identity-loss encoder)"
    assert judge_independence(learned, "dlib_resnet", recipe) == (
        "judge: dlib_resnet (independent: the model was neither conditioned on nor trained against it)")


def test_bootstrap_interval_brackets_the_mean_and_ignores_missing_pairs() -> None:
    values = np.array([0.0, 1.0, 1.0, np.nan, 0.0, 1.0, 1.0, 1.0])
    estimate = bootstrap(values, seed=0)
    assert estimate.count == 7 and estimate.mean == pytest.approx(5 / 7)
    assert 0.0 <= estimate.low < estimate.mean < estimate.high <= 1.0
    assert bootstrap(np.full(5, 0.25)).format() == "0.250 [0.250, 0.250]"
    assert bootstrap(np.array([np.nan])).format() == "-"


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


@pytest.mark.parametrize("angles", [(0, 0, 0), (30, 0, 0), (0, -20, 0), (0, 0, 15), (25, 10, -5)])
def test_head_pose_recovers_a_known_rotation(angles: tuple[float, float, float]) -> None:
    model = np.array([MEAN_FACE_3D[i] for i in POSE_POINTS])
    projected = (model @ _rotation(*angles).T)[:, :2] * np.array([1.0, -1.0])  # image y points down
    points = np.full((1, 68, 2), np.nan)
    points[0, POSE_POINTS] = 1.3 * projected + 60.0
    assert head_pose(points)[0] == pytest.approx(angles, abs=1e-6)
    assert np.isnan(head_pose(np.full((1, 68, 2), np.nan))).all()


def test_baselines_sit_in_the_same_table_with_intervals(glint: GlintFaces, judge: nn.Module) -> None:
    landmarker = zoo.build("detector", "dlib")
    result = evaluate_swaps(Oracle("template"), glint, judge, pairs=6, landmarker=landmarker.detect_68)
    compared = result.comparison
    assert compared["pose_error_deg"]["template"].mean == 0.0 == compared["landmark68_distance"]["template"].mean
    assert compared["pose_error_deg"]["model"].mean == 0.0  # this model returns the template
    assert compared["identity_top1"]["source"].mean >= 0.8 and compared["identity_top1"]["template"].mean == 0.0
    assert compared["pose_error_deg"]["source"].mean > 2.0 and compared["landmark68_distance"]["source"].mean > 0.02
    compositor = compared["landmark68_distance"]["compositor"]
    assert 0.0 < compositor.mean < compared["landmark68_distance"]["source"].mean
    assert compositor.low <= compositor.mean <= compositor.high
    lines = result.table().splitlines()
    assert lines[1].split("  ")[0].strip() == "metric" and "classical compositor" in lines[1]
    assert lines[2].startswith("identity_top1") and lines[2].count("[") == 4


def test_eval_result_json_has_metrics_and_notes() -> None:
    result = EvalResult(metrics={"psnr": None, "pairs": 3}, notes=["n"], details={"model": "m"})
    assert json.loads(json.dumps(result.to_json())) == {"model": "m", "metrics": {"psnr": None, "pairs": 3},
                                                        "comparison": {}, "notes": ["n"]}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", resolution=16, channels=8, max_channels=16, downsamples=1,
                          blocks=1, id_dim=16)
    folder = tmp_path_factory.mktemp("eval") / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info={"name": "eval-test"})
    return folder


def metric_rows(stdout: str) -> dict[str, str]:
    """The ``metric value meaning`` rows printed after the comparison table: name → value."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["metric", "value", "meaning"])
    return {line.split()[0]: line.split()[1] for line in lines[start + 1:] if not line.startswith("note:")}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown_data", "error: --data {tmp}/nowhere: no such folder and no registered dataset of that name"),
        ("judge_without_weights", "error: judge 'mobilefacenet' needs pretrained weights to mean anything: "
                                  "pass -j weights=PATH (e.g. mobilefacenet_casia.safetensors)"),
        ("json_in_missing_dir", "error: output directory {tmp}/no_dir does not exist (for -o {tmp}/no_dir/r.json)"),
        ("missing_model", "error: model folder not found: {tmp}/no_model"),
        ("unknown_distractors", "error: --distractors {tmp}/nowhere: no such folder and no registered dataset"),
        ("too_many_pairs", "error: --pairs 1000000000: must be between 1 and 100000 (one swap each)\n"),  # hung before
    ],
)
def test_cli_bad_input_is_one_line(case: str, expected: str, model_dir: Path, judge_weights: str, assets: Path,
                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, data, extra = model_dir, str(assets / "faces" / "glint"), []
    judge_args = ["--judge", "mobilefacenet", "-j", f"weights={judge_weights}"]
    if case == "unknown_data":
        data = str(tmp_path / "nowhere")
    elif case == "judge_without_weights":
        judge_args = ["--judge", "mobilefacenet"]
    elif case == "json_in_missing_dir":
        extra = ["-o", str(tmp_path / "no_dir" / "r.json")]
    elif case == "missing_model":
        model = tmp_path / "no_model"
    elif case == "unknown_distractors":
        extra = ["--distractors", str(tmp_path / "nowhere")]
    elif case == "too_many_pairs":
        extra = ["--pairs", str(10**9)]
    code, stdout, stderr = run_cli(["eval", "--model", str(model), "--data", data, *judge_args, *extra], capsys)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1
    assert stderr.startswith(expected.format(tmp=tmp_path))


def test_cli_on_synthfaces_has_ground_truth_and_writes_json(model_dir: Path, judge_weights: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "eval.json"
    code, stdout, stderr = run_cli(["eval", "-m", str(model_dir), "--data", "synthfaces", "--data-arg", "identities=4",
                                    "--data-arg", "images_per_identity=3", "--judge", "mobilefacenet",
                                    "-j", f"weights={judge_weights}",
                                    "--pairs", "6", "-o", str(report)], capsys)
    assert (code, stderr) == (0, "eval: 1/5 phases  done 6 swaps\neval: 2/5 phases  done identity judged\n"
                                 "eval: 3/5 phases  done landmarks\neval: 4/5 phases  done pose and expression\n"
                                 "eval: 5/5 phases  done pixels\n")  # progress, plain lines when not a terminal
    written = json.loads(report.read_text())
    assert written["data"] == "synthfaces" and written["judge"] == "mobilefacenet"
    metrics = written["metrics"]
    assert metrics["pairs"] == 6 and metrics["identities"] == 4 and metrics["resolution"] == 16
    assert 0.0 < metrics["psnr"] < 60.0 and -1.0 <= metrics["ssim"] <= 1.0
    assert -1.0 <= metrics["identity_similarity"] <= 1.0
    rows = metric_rows(stdout)
    assert rows["psnr"] == f"{metrics['psnr']:.4f}" and rows["landmark_distance"] == "-"
    assert stdout.startswith("judge: mobilefacenet (independent: ")


def test_cli_on_an_aligned_folder_notes_missing_ground_truth(model_dir: Path, judge_weights: str, assets: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run_cli(["eval", "-m", str(model_dir), "--data", str(assets / "faces" / "glint"),
                                    "--data-arg", "max_identities=3", "--data-arg", "max_per_identity=4",
                                    "--judge", "mobilefacenet", "-j", f"weights={judge_weights}", "--pairs", "3"], capsys)
    assert (code, stderr) == (0, "eval: 1/5 phases  done 3 swaps\neval: 2/5 phases  done identity judged\n"
                                 "eval: 3/5 phases  done landmarks\neval: 4/5 phases  done pose and expression\n"
                                 "eval: 5/5 phases  done pixels\n")
    rows = metric_rows(stdout)
    assert rows["identities"] == "3" and rows["pairs"] == "3" and rows["psnr"] == "-"
    assert "note: PSNR/SSIM skipped:" in stdout and "has no ground-truth swaps" in stdout


def test_cli_judges_with_dlib_by_default_and_says_it_is_independent(model_dir: Path, assets: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "eval.json"
    distractors = tmp_path / "others"  # two more people, linked (never copied) from the shared assets
    for person in sorted((assets / "faces" / "glint").iterdir())[-2:]:
        (distractors / person.name).mkdir(parents=True)
        for photo in sorted(person.glob("*.png"))[:2]:
            (distractors / person.name / photo.name).symlink_to(photo)
    code, stdout, stderr = run_cli(["eval", "-m", str(model_dir), "--data", str(assets / "faces" / "glint"),
                                    "--data-arg", "max_identities=3", "--data-arg", "max_per_identity=3",
                                    "--distractors", str(distractors), "--pairs", "3", "-o", str(report)], capsys)
    assert (code, stderr) == (0, "eval: 1/5 phases  done 3 swaps\neval: 2/5 phases  done identity judged\n"
                                 "eval: 3/5 phases  done landmarks\neval: 4/5 phases  done pose and expression\n"
                                 "eval: 5/5 phases  done pixels\n")
    assert stdout.startswith("judge: dlib_resnet (independent: the model was neither conditioned on nor trained "
                             "against it); mean [95% bootstrap interval] over pairs\n")
    written = json.loads(report.read_text())
    assert written["judge"] == "dlib_resnet" and written["detector"] == "dlib"
    assert written["metrics"]["distractor_identities"] == 2
    assert set(written["comparison"]["identity_top1"]) == {"model", "template", "source", "compositor"}


def test_zoo_evaluate_is_what_the_command_reports(model_dir: Path, judge_weights: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "eval.json"
    code, _, _ = run_cli(["eval", "-m", str(model_dir), "--data", "synthfaces", "--data-arg", "identities=4",
                          "--data-arg", "images_per_identity=3", "--judge", "mobilefacenet", "-j", f"weights={judge_weights}",
                          "--pairs", "4", "--seed", "2", "--json", "-o", str(report)], capsys)
    assert code == 0
    result = zoo.evaluate(model_dir, "synthfaces", data_args={"identities": 4, "images_per_identity": 3},
                          judge="mobilefacenet", judge_args={"weights": judge_weights}, pairs=4, seed=2)
    assert json.loads(json.dumps(result.to_json())) == json.loads(report.read_text())
    assert result.to_json()["metrics"]["pairs"] == 4
