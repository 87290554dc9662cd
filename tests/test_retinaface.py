"""The retinaface detector: strict weights, the counts on real photos, landmarks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import zoo
from zoo.errors import WeightsError
from zoo_faces.image import load_image
from zoo_retinaface.detector import RESNET50_URL, RetinaFaceDetector, prior_boxes
from zoo_retinaface.network import build_network

EXPECTED = {"group6_t1.jpg": 6, "two_people.jpg": 2, "multi_people3.jpg": 3, "dogs_no_face.jpg": 0}


@pytest.fixture(scope="module")
def mobilenet_weights(assets):
    return assets / "weights" / "retinaface_mobilenet0.25.safetensors"


@pytest.fixture(scope="module")
def detector(mobilenet_weights):
    return RetinaFaceDetector(body="mobilenet0.25", weights=str(mobilenet_weights))


@pytest.fixture(scope="module")
def wild(assets, detector):
    names = [*EXPECTED, "bald_guys_25.jpg"]
    images = [load_image(assets / "faces" / "wild" / name) for name in names]
    return dict(zip(names, zip(images, detector.detect(images))))


def test_mobilenet_state_dict_matches_the_published_key_listing(assets):
    listing = (assets / "weights" / "retinaface_mobilenet0.25.keys.txt").read_text().splitlines()
    expected = {line.split("\t")[0]: tuple(int(n) for n in line.split("\t")[1].strip("(,)").split(",") if n.strip())
                for line in listing if line.strip()}
    state = build_network("mobilenet0.25").state_dict()
    assert {name: tuple(tensor.shape) for name, tensor in state.items()} == expected


@pytest.mark.filterwarnings("ignore:.*deprecated since 0.13:UserWarning")  # the package's resnet50(pretrained=)
def test_resnet50_state_dict_matches_retinaface_pytorch():
    from retinaface.network import RetinaFace

    package = RetinaFace(name="Resnet50", pretrained=False, return_layers={"layer2": 1, "layer3": 2, "layer4": 3},
                         in_channels=256, out_channels=256).state_dict()
    ours = build_network("resnet50").state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in package.items()}


def test_prior_boxes_equal_the_package_priorbox():
    from retinaface.prior_box import priorbox

    for size in [(20, 20), (96, 160), (416, 288)]:
        expected = priorbox(min_sizes=[[16, 32], [64, 128], [256, 512]], steps=[8, 16, 32], clip=False,
                            image_size=size)
        assert torch.allclose(prior_boxes(*size), expected, atol=1e-6)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_face_counts_on_real_photos(wild, name):
    assert len(wild[name][1]) == EXPECTED[name]


def test_at_least_20_of_25_small_faces(wild):
    assert len(wild["bald_guys_25.jpg"][1]) >= 20


def test_landmarks_sit_in_their_boxes_in_face_order(wild):
    for name, (_, faces) in wild.items():
        assert np.all(np.diff(faces.scores) <= 0), name  # best first
        for box, points in zip(faces.boxes, faces.landmarks):
            x1, y1, x2, y2 = box
            assert np.all((points[:, 0] >= x1) & (points[:, 0] <= x2) & (points[:, 1] >= y1) & (points[:, 1] <= y2))
            left_eye, right_eye, nose, left_mouth, right_mouth = points
            assert left_eye[0] < right_eye[0] and left_mouth[0] < right_mouth[0], name
            assert max(left_eye[1], right_eye[1]) < min(left_mouth[1], right_mouth[1]), name
            assert min(left_eye[1], right_eye[1]) < nose[1] < max(left_mouth[1], right_mouth[1]), name


def test_boxes_are_in_original_pixels(wild):
    image, faces = wild["multi_people3.jpg"]  # 1920×1080, detected at 1024×576
    widths = faces.boxes[:, 2] - faces.boxes[:, 0]
    assert faces.boxes[:, 2].max() > 1024 and faces.boxes[:, 2].max() <= image.shape[1] + 50
    assert widths.min() > 40


def test_tiny_image_has_no_faces_and_no_crash(detector):
    (faces,) = detector.detect([np.full((20, 20, 3), 128, np.uint8)])
    assert len(faces) == 0 and faces.boxes.shape == (0, 4) and faces.landmarks.shape == (0, 5, 2)


def test_huge_photo_is_downscaled_for_detection(tmp_path, assets, detector):
    face = Image.open(assets / "faces" / "wild" / "obama_720p.jpg").convert("RGB")
    canvas = Image.new("RGB", (8000, 6000), (90, 110, 130))
    canvas.paste(face.resize((3840, 2160)), (2000, 1800))
    canvas.save(tmp_path / "huge.jpg", quality=80)
    image = load_image(tmp_path / "huge.jpg")
    assert image.shape == (6000, 8000, 3)
    (faces,) = detector.detect([image])
    assert len(faces) == 1
    assert 2000 < faces.landmarks[0, 2, 0] < 5840 and 1800 < faces.landmarks[0, 2, 1] < 3960


def test_same_size_images_are_batched_consistently(wild, detector):
    image, faces = wild["two_people.jpg"]
    first, second = detector.detect([image, image])
    assert len(first) == len(second) == len(faces)
    assert np.allclose(first.boxes, faces.boxes, atol=0.5) and np.allclose(second.landmarks, faces.landmarks, atol=0.5)


def test_rejects_arrays_that_are_not_rgb_uint8(detector):
    with pytest.raises(ValueError, match=r"image 0: expected an H×W×3 uint8 RGB array, got float32"):
        detector.detect([np.zeros((8, 8, 3), np.float32)])


def test_wrong_architecture_names_missing_and_unexpected_keys(mobilenet_weights):
    with pytest.raises(WeightsError) as caught:
        RetinaFaceDetector(body="resnet50", weights=str(mobilenet_weights))
    message = str(caught.value)
    assert message.startswith(f"{mobilenet_weights}: weights do not fit retinaface (resnet50): ")
    assert "318 missing keys: body.bn1.bias, " in message
    assert "162 unexpected keys: body.stage1.0.0.weight, " in message
    assert "109 shape mismatches: fpn.output1.0.weight file (64, 64, 1, 1) vs model (256, 512, 1, 1), " in message
    assert message.endswith("; these are mobilenet0.25 weights: add body=mobilenet0.25 (zoo swap/detect: -a body=mobilenet0.25)")
    assert "\n" not in message


def test_shape_mismatch_is_named(tmp_path):
    state = build_network("mobilenet0.25").state_dict()
    state["ClassHead.0.conv1x1.bias"] = torch.zeros(6)
    save_file(state, tmp_path / "bad.safetensors")
    with pytest.raises(WeightsError, match=r"1 shape mismatches: ClassHead.0.conv1x1.bias file \(6,\) vs model \(4,\)$"):
        RetinaFaceDetector(body="mobilenet0.25", weights=str(tmp_path / "bad.safetensors"))


def test_files_that_are_not_safetensors(tmp_path):
    text = tmp_path / "weights.safetensors"
    text.write_text("not weights")
    with pytest.raises(WeightsError) as caught:
        RetinaFaceDetector(body="mobilenet0.25", weights=str(text))
    assert str(caught.value).startswith(f"{text}: not a valid safetensors file (")
    pickled = tmp_path / "model.pth"
    torch.save({"w": torch.zeros(1)}, pickled)
    with pytest.raises(WeightsError, match=r"model.pth: pickle-based weights are never loaded"):
        RetinaFaceDetector(body="mobilenet0.25", weights=str(pickled))
    with pytest.raises(WeightsError, match="weights file not found: "):
        RetinaFaceDetector(body="mobilenet0.25", weights=str(tmp_path / "absent.safetensors"))


def test_default_resnet50_weights_are_retinaface_pytorchs_own_file():
    """The pinned prefix is the one the authors put in the file name (torch.hub's check_hash convention)."""
    from retinaface.pre_trained_models import models
    from torch.hub import HASH_REGEX
    from zoo_retinaface.published import RESNET50

    assert RESNET50_URL == RESNET50.url == models["resnet50_2020-07-20"].url
    assert HASH_REGEX.search(RESNET50_URL.rsplit("/", 1)[-1]).group(1) == RESNET50.sha256


def test_mobilenet_without_weights_says_where_to_get_them():
    with pytest.raises(WeightsError, match=r"has no default weights: .*https://github.com/biubug6/Pytorch_Retinaface"):
        RetinaFaceDetector(body="mobilenet0.25")


def test_hf_spec_must_name_a_file():
    with pytest.raises(WeightsError, match=r"must look like hf://org/repo\[@revision\]/path/file.safetensors"):
        RetinaFaceDetector(body="mobilenet0.25", weights="hf://only-org")


def test_untrained_resnet50_runs_for_timing():
    detector = RetinaFaceDetector(body="resnet50", pretrained=False, max_size=64, score_threshold=0.99)
    (faces,) = detector.detect([np.zeros((48, 64, 3), np.uint8)])
    assert faces.boxes.dtype == np.float32 and faces.landmarks.shape[1:] == (5, 2)


def test_built_by_name_through_the_registry(mobilenet_weights):
    built = zoo.build("detector", "retinaface", body="mobilenet0.25", weights=str(mobilenet_weights), max_size=320)
    assert isinstance(built, RetinaFaceDetector) and built.max_size == 320
    with pytest.raises(zoo.errors.ArgumentError, match="max_size"):
        zoo.build("detector", "retinaface", body="mobilenet0.25", weights=str(mobilenet_weights), max_size=0)
