"""Faces followed through real clips: optical-flow tracking between key frames, One-Euro smoothing,
re-identification of a face that leaves and comes back, --face-index and --reference selection."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from video_clips import (  # noqa: F401 - fixtures
    detector_cli,
    read_frames,
    run_zoo,
    scaled,
    source_photo,
    video_detector_args,
    video_model,
    video_swapper,
    window,
    write_clip,
)

from zoo_faces.image import load_image, save_image
from zoo_inference.swap import FaceSwapper
from zoo_video.identity import build_embedder
from zoo_video.pipeline import VideoJob, swap_video
from zoo_video.smoothing import OneEuroFilter, face_scale
from zoo_video.tracking import FaceTracker, TrackerSettings

FACE_WIDTH = 40
PANEL = (80, 120)


@pytest.fixture(scope="module")
def wild(assets: Path) -> Path:
    return assets / "faces" / "wild"


@pytest.fixture(scope="module")
def embedder():
    return build_embedder("dlib_resnet", {})


def framed(swapper: FaceSwapper, photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``photo`` scaled so its face is FACE_WIDTH px wide, and that face's centre and landmarks there."""
    faces = swapper.detect(photo)
    box = faces.boxes[0]
    scale = FACE_WIDTH / float(box[2] - box[0])
    small = scaled(photo, round(photo.shape[1] * scale))
    ratio = small.shape[1] / photo.shape[1]
    return small, faces.landmarks[0] * ratio


@pytest.fixture(scope="module")
def obama_framed(video_swapper: FaceSwapper, wild: Path) -> tuple[np.ndarray, np.ndarray]:
    return framed(video_swapper, load_image(wild / "obama_720p.jpg"))


@pytest.fixture(scope="module")
def two_people(video_swapper: FaceSwapper, wild: Path, obama_framed) -> list[np.ndarray]:
    """Obama (left) and Tom Cruise (right), side by side, drifting 1 px a frame; 12 frames of 160×120."""
    cruise, cruise_points = framed(video_swapper, load_image(wild / "Tom_Cruise_avp_2014_4.jpg"))
    obama, obama_points = obama_framed
    left, right = obama_points.mean(axis=0), cruise_points.mean(axis=0)
    return [np.concatenate([window(obama, (left[0] - i, left[1]), size=PANEL),
                            window(cruise, (right[0] + i, right[1]), size=PANEL)], axis=1) for i in range(12)]


def test_tracking_follows_a_pan_and_zoom_between_key_frames(video_swapper: FaceSwapper, obama_framed) -> None:
    photo, truth = obama_framed
    centre = truth.mean(axis=0)
    frames, expected = [], []
    for i in range(25):  # 2 px a frame to the right, zooming in 1% a frame
        zoom, view = 1.0 + 0.01 * i, centre + (2.0 * i - 20, 0)
        frames.append(window(photo, tuple(view), zoom))
        expected.append(zoom * (truth - view) + np.array([80.0, 60.0]))
    tracker = FaceTracker(video_swapper.detect, TrackerSettings(keyframe_interval=6, smoothing=None))
    errors = []
    for index, frame in enumerate(frames):
        tracks = tracker.step(frame, index / 25)
        assert [track.id for track in tracks] == [0]
        errors.append(np.linalg.norm(tracks[0].landmarks - expected[index], axis=1).max())
    assert tracker.detections_run == 5  # frames 0, 6, 12, 18, 24: no detection between key frames
    assert max(errors) < 0.12 * FACE_WIDTH, errors


def test_one_euro_filter_steadies_a_still_face_and_follows_a_moving_one() -> None:
    rng = np.random.default_rng(0)
    face = np.array([[40, 50], [60, 50], [50, 60], [42, 70], [58, 70]], dtype=np.float64) * 3  # ~100 px wide
    still = OneEuroFilter()
    raw = [face + rng.normal(0, 1.0, face.shape) for _ in range(100)]
    smoothed = np.array([still(points, i / 25) for i, points in enumerate(raw)])
    assert smoothed[20:].std(axis=0).mean() < 0.4 * np.array(raw)[20:].std(axis=0).mean()
    moving = OneEuroFilter()
    for i in range(50):  # 4 px a frame: the filter must follow, not lag behind
        out = moving(face + (4.0 * i, 0.0), i / 25)
    assert np.abs(out - (face + (4.0 * 49, 0.0))).max() < 0.06 * face_scale(face)


def test_one_euro_filter_uses_timestamps() -> None:
    """The same motion sampled at 25 and at 50 fps ends at the same place: time, not frames, counts."""
    face = np.array([[40, 50], [60, 50], [50, 60], [42, 70], [58, 70]], dtype=np.float64)
    ends = []
    for fps in (25, 50):
        smoother = OneEuroFilter()
        for i in range(fps):
            out = smoother(face + (20.0 * (i / fps) ** 2, 0.0), i / fps)
        ends.append(out)
    assert np.abs(ends[0] - ends[1]).max() < 1.0


def test_a_face_that_leaves_and_comes_back_keeps_its_track_id(video_swapper: FaceSwapper, obama_framed,
                                                              embedder) -> None:
    photo, truth = obama_framed
    centre = truth.mean(axis=0)
    path = [-400.0] * 3 + list(np.linspace(-120, 0, 5)) + [0.0] * 4 + [400.0] * 5 + list(np.linspace(120, 0, 5)) + \
        [0.0] * 3  # away, enters from the left, stays, gone, enters from the right, stays
    frames = [window(photo, (centre[0] + offset, centre[1])) for offset in path]
    seen: dict[str, list[list[int]]] = {}
    for name, identity in (("without", None), ("with", embedder)):
        tracker = FaceTracker(video_swapper.detect, TrackerSettings(keyframe_interval=3), identity)
        seen[name] = [[track.id for track in tracker.step(frame, i / 25)] for i, frame in enumerate(frames)]
    assert seen["with"][:3] == [[]] * 3 and seen["with"][12:17] == [[]] * 5  # no face while away
    assert seen["with"][11] == [0] and seen["with"][-1] == [0]  # the same id when it comes back
    assert seen["without"][11] == [0] and seen["without"][-1] == [1]  # without identities: a new face


def _region_change(before: list[np.ndarray], after: list[np.ndarray], columns: slice) -> list[float]:
    return [float(np.abs(a[30:90, columns].astype(int) - b[30:90, columns]).mean()) for a, b in zip(after, before)]


def test_face_index_in_the_first_frame_is_followed(video_swapper: FaceSwapper, two_people, source_photo: Path,
                                                   tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "two.mp4", two_people)
    first = read_frames(clip)[0][0]
    right_index = int(np.argmax(video_swapper.detect(first).boxes[:, 0]))
    source = video_swapper.source_face(load_image(source_photo))
    out = tmp_path / "out.mp4"
    untinted = dataclasses.replace(video_swapper, color_match="none")  # the untrained face's own colours stand out
    report = swap_video(untinted, source, clip, out, face_index=right_index,
                        embedder=build_embedder("dlib_resnet", {}), job=VideoJob(progress=False))
    before, after = read_frames(clip)[0], read_frames(out)[0]
    assert report.faces_swapped == 12
    assert max(_region_change(before, after, slice(0, 80))) < 3  # the other face untouched (codec noise)
    assert min(_region_change(before, after, slice(80, 160))) > 8


@pytest.fixture(scope="module")
def obama_reference(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another photo of the left person (a Glint crop, padded so the detector sees a whole head)."""
    folder = assets / "faces" / "glint" / "Barack_Obama"
    crop = load_image(folder / sorted(os.listdir(folder))[0])
    path = tmp_path_factory.mktemp("reference") / "obama.png"
    save_image(path, cv2.copyMakeBorder(crop, 56, 56, 56, 56, cv2.BORDER_REPLICATE))
    return path


def test_reference_swaps_only_that_person_in_a_video(video_model: Path, video_detector_args: dict[str, str],
                                                     two_people, obama_reference: Path, source_photo: Path,
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = write_clip(tmp_path / "two.mp4", two_people)
    out = tmp_path / "out.mp4"
    code, stdout, stderr = run_zoo(["swap", "-m", video_model, *detector_cli(video_detector_args), "-s", source_photo,
                                    "-t", clip, "-o", out, "--reference", obama_reference], capsys)
    assert code == 0, stderr
    assert "12 faces swapped, 2 face track(s)" in stdout
    before, after = read_frames(clip)[0], read_frames(out)[0]
    assert min(_region_change(before, after, slice(0, 80))) > 8  # Obama, the reference person
    assert max(_region_change(before, after, slice(80, 160))) < 3


def test_reference_picks_the_face_in_a_photo(video_model: Path, video_detector_args: dict[str, str], two_people,
                                             obama_reference: Path, source_photo: Path, assets: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    target, out = tmp_path / "two.png", tmp_path / "out.png"
    save_image(target, two_people[0])
    argv = ["swap", "-m", video_model, *detector_cli(video_detector_args), "-s", source_photo, "-t", target, "-o", out,
            "--color-match", "none"]  # the untrained face's own colours: a change the check below can see
    code, _, stderr = run_zoo([*argv, "--reference", obama_reference], capsys)
    assert code == 0, stderr
    before, after = [two_people[0]], [load_image(out)]
    assert _region_change(before, after, slice(0, 80))[0] > 8 and _region_change(before, after, slice(80, 160))[0] == 0
    stranger = tmp_path / "keanu.png"
    folder = assets / "faces" / "glint" / "Keanu_Reeves"
    save_image(stranger, cv2.copyMakeBorder(load_image(folder / sorted(os.listdir(folder))[0]), 56, 56, 56, 56,
                                            cv2.BORDER_REPLICATE))
    out.unlink()
    code, _, stderr = run_zoo([*argv, "--reference", stranger], capsys)
    assert code == 2 and not out.exists()
    assert stderr.startswith(f"error: target {target}: no face is the person in --reference {stranger} (best "
                             "similarity 0.") and stderr.endswith("< 0.90, dlib_resnet)\n")


def test_flicker_counts_only_what_the_swap_adds_inside_the_face(video_swapper: FaceSwapper, two_people) -> None:
    from zoo_video.metrics import FlickerMeter

    rng = np.random.default_rng(0)
    still, shaky = FlickerMeter(), FlickerMeter()
    for frame in two_people:
        points = video_swapper.detect(frame).landmarks[int(np.argmin(video_swapper.detect(frame).boxes[:, 0]))]
        still.add(frame, frame.copy(), points)
        jitter = frame.copy()
        jitter[30:90, :80] = np.clip(jitter[30:90, :80] + rng.integers(-8, 9, (60, 80, 3)), 0, 255)
        jitter[:, 80:] = 0  # the other face: outside the measured one
        shaky.add(frame, jitter, points)
    assert still.flicker == 0.0 and still.input_change > 0  # the drift is in the input already
    assert 1.0 < shaky.flicker < 8.0  # per-frame noise of ±8 levels on the measured face
