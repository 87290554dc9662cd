"""`zoo swap` on real video files made by the test with PyAV: what comes out matches what went in
(size, frame count, timestamps, rotation tag, audio), segments, codecs, and one-line bad-input errors."""

from __future__ import annotations

import math
import os
import weakref
from pathlib import Path

import numpy as np
import pytest
from video_clips import (  # noqa: F401 - fixtures
    HEIGHT,
    TONE_HZ,
    WIDTH,
    detector_cli,
    obama,
    pan,
    read_audio,
    read_frames,
    run_zoo,
    source_photo,
    tone,
    video_detector_args,
    video_model,
    video_swapper,
    window,
    write_clip,
)

from zoo_faces.image import load_image
from zoo_inference.swap import FaceSwapper
import zoo_video.pipeline
from zoo_video.container import DecodedFrame, read_stream
from zoo_video.pipeline import VideoInterrupted, VideoJob, swap_video
from zoo.progress import Progress
from zoo_video.writer import partial_path

FRAMES = 24


def dominant_hz(samples: np.ndarray, rate: int = 16000) -> float:
    return float(np.abs(np.fft.rfft(samples)).argmax() * rate / len(samples))


@pytest.fixture(scope="module")
def source(video_swapper: FaceSwapper, source_photo: Path):
    return video_swapper.source_face(load_image(source_photo))


@pytest.fixture(scope="module")
def pan_clip(tmp_path_factory: pytest.TempPathFactory, obama: np.ndarray) -> Path:
    """One face panned 3 px a frame at 25 fps, with a 440 Hz tone (AAC)."""
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    return write_clip(path, pan(obama, (110, 60), (3, 0), FRAMES), audio=tone(FRAMES / 25))


def swap(swapper: FaceSwapper, source, target: Path, output: Path, **job):
    return swap_video(swapper, source, target, output, all_faces=True, job=VideoJob(progress=False, **job))


def test_output_keeps_size_frames_timing_and_copies_audio(video_swapper: FaceSwapper, source, pan_clip: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    report = swap(video_swapper, source, pan_clip, out)
    frames_in, times_in, _ = read_frames(pan_clip)
    frames_out, times_out, rotation = read_frames(out)
    assert (report.frames, report.faces_swapped, report.audio) == (FRAMES, FRAMES, "copied")
    assert len(frames_out) == FRAMES and frames_out[0].shape == (HEIGHT, WIDTH, 3) and rotation == 0
    assert np.allclose(times_out, times_in, atol=1e-3)
    assert report.detections < FRAMES / 2  # key frames only
    # the face changed, the corners (background) kept their pixels up to encoding noise
    x1, y1, x2, y2 = np.clip(np.round(video_swapper.detect(frames_in[5]).boxes[0]), 0, None).astype(int)
    assert np.abs(frames_out[5][y1:y2, x1:x2].astype(int) - frames_in[5][y1:y2, x1:x2]).mean() > 10
    assert np.abs(frames_out[5][:20, :20].astype(int) - frames_in[5][:20, :20]).mean() < 3
    codec, samples = read_audio(out)
    reference_codec, reference = read_audio(pan_clip)
    assert codec == reference_codec == "aac" and len(samples) == len(reference)
    assert dominant_hz(samples) == pytest.approx(TONE_HZ, abs=2)
    assert not partial_path(out).exists()


def test_variable_frame_rate_timestamps_are_kept(video_swapper: FaceSwapper, source, obama: np.ndarray,
                                                 tmp_path: Path) -> None:
    times = [0.0, 0.04, 0.08, 0.2, 0.24, 0.4, 0.44, 0.48, 0.9, 0.94]
    clip = write_clip(tmp_path / "vfr.mp4", pan(obama, (110, 60), (2, 0), len(times)), times=times)
    swap(video_swapper, source, clip, tmp_path / "out.mp4")
    assert np.allclose(read_frames(tmp_path / "out.mp4")[1], times, atol=1e-3)


def test_video_that_starts_after_its_audio_keeps_the_gap(video_swapper: FaceSwapper, source, obama: np.ndarray,
                                                         tmp_path: Path) -> None:
    """Many real clips have their first frame a little after time 0 (an MP4 edit list): rebasing the
    video alone to 0 would put it ahead of the audio by that much."""
    times = [0.2 + 0.04 * index for index in range(8)]
    clip = write_clip(tmp_path / "late.mp4", pan(obama, (110, 60), (2, 0), len(times)), times=times,
                      audio=tone(0.6))
    swap(video_swapper, source, clip, tmp_path / "out.mp4")
    assert np.allclose(read_frames(tmp_path / "out.mp4")[1], times, atol=1e-3)
    assert len(read_audio(tmp_path / "out.mp4")[1]) == len(read_audio(clip)[1])


def test_rotation_metadata_is_kept_and_faces_are_found_upright(video_swapper: FaceSwapper, source, obama: np.ndarray,
                                                               tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "phone.mp4", pan(obama, (110, 60), (2, 0), 8), rotation=90)
    stored_in, _, rotation_in = read_frames(clip)
    report = swap(video_swapper, source, clip, tmp_path / "out.mp4")
    stored_out, _, rotation_out = read_frames(tmp_path / "out.mp4")
    assert rotation_in == rotation_out == 90
    assert stored_out[0].shape == stored_in[0].shape == (WIDTH, HEIGHT, 3)
    assert report.faces_swapped == 8  # the detector saw the face the right way up


def test_memory_is_bounded_by_a_few_batches_not_the_clip(video_swapper: FaceSwapper, source, obama: np.ndarray,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ten-minute clip must stream: the decoded frames alive at once (read ahead, in the batch being
    tracked, being swapped, waiting for the encoder) are a few batches whatever the clip's length.
    Each decoded image is watched with a weak reference, so the count is of what memory really holds."""
    alive: set[int] = set()
    most_alive = 0

    def watched(*args, **kwargs):
        nonlocal most_alive
        for item in read_stream(*args, **kwargs):
            if isinstance(item, DecodedFrame):
                alive.add(item.index)
                most_alive = max(most_alive, len(alive))
                weakref.finalize(item.image, alive.discard, item.index)
            yield item

    monkeypatch.setattr(zoo_video.pipeline, "read_stream", watched)
    frames = 240
    clip = write_clip(tmp_path / "long.mp4", [window(obama, (110 + 20 * math.sin(i / 15), 60)) for i in range(frames)])
    report = swap(video_swapper, source, clip, tmp_path / "out.mp4", batch_size=8)
    assert report.frames == report.faces_swapped == frames
    # read ahead (2 batches), the batch being tracked, 2 waiting to be swapped, 1 being swapped, 1 in hand-over
    assert 8 <= most_alive <= 7 * 8, f"{most_alive} decoded frames alive at once"


def test_segment_start_end_trims_video_and_audio(video_swapper: FaceSwapper, source, pan_clip: Path,
                                                 tmp_path: Path) -> None:
    out = tmp_path / "segment.mp4"
    report = swap(video_swapper, source, pan_clip, out, start=0.4, end=0.8)
    frames, times, _ = read_frames(out)
    assert report.frames == len(frames) == 10
    assert times[0] == pytest.approx(0.0, abs=1e-3) and times[-1] == pytest.approx(0.36, abs=1e-3)
    _, samples = read_audio(out)
    assert 0.3 < len(samples) / 16000 < 0.5
    frames_in = read_frames(pan_clip)[0]
    assert np.abs(frames[0][:20, :20].astype(int) - frames_in[10][:20, :20]).mean() < 3  # frame 10 = 0.4 s


def test_audio_is_reencoded_when_the_container_cannot_hold_it(video_swapper: FaceSwapper, source, obama: np.ndarray,
                                                              tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "pcm.mkv", pan(obama, (110, 60), (2, 0), 12), audio=tone(12 / 25),
                      audio_codec="pcm_s16le")
    report = swap(video_swapper, source, clip, tmp_path / "out.mp4")
    codec, samples = read_audio(tmp_path / "out.mp4")
    assert report.audio == "re-encoded (aac)" and codec == "aac"
    assert dominant_hz(samples) == pytest.approx(TONE_HZ, abs=3)
    report = swap(video_swapper, source, clip, tmp_path / "out.mkv")
    assert report.audio == "copied" and read_audio(tmp_path / "out.mkv")[0] == "pcm_s16le"


def test_codec_and_quality(video_swapper: FaceSwapper, source, pan_clip: Path, tmp_path: Path) -> None:
    fine, coarse = tmp_path / "fine.mp4", tmp_path / "coarse.mp4"
    swap(video_swapper, source, pan_clip, fine, quality=8)
    swap(video_swapper, source, pan_clip, coarse, quality=40)
    assert fine.stat().st_size > 2 * coarse.stat().st_size
    swap(video_swapper, source, pan_clip, tmp_path / "vp9.webm")
    import av

    with av.open(str(tmp_path / "vp9.webm")) as container:
        assert container.streams.video[0].codec_context.name == "vp9"
        assert container.streams.audio[0].codec_context.name == "opus"  # AAC cannot go in WebM
    assert len(read_frames(tmp_path / "vp9.webm")[0]) == FRAMES


def test_ctrl_c_leaves_a_playable_partial_file(video_swapper: FaceSwapper, source, pan_clip: Path,
                                               tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    calls = []

    def interrupted_detector(images):
        calls.append(1)
        if len(calls) > 2:  # the user presses Ctrl-C during the 3rd key frame (frame 20)
            raise KeyboardInterrupt
        return video_swapper.detector(images)

    interrupting = FaceSwapper(video_swapper.generator, interrupted_detector)
    with pytest.raises(VideoInterrupted, match=r"interrupted: the first \d+ frames are in .*out\.partial\.mp4"):
        swap(interrupting, source, pan_clip, out, batch_size=4)
    assert not out.exists()
    frames, _, _ = read_frames(partial_path(out))
    assert 8 <= len(frames) < FRAMES


def test_progress_line_has_rate_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress("swap clip.mp4", 100, unit="frame", rate=True, line_every=0.0) as progress:
        progress.update(25)
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith("swap clip.mp4: 25/100 frames, ") and " frames/s, ETA " in line


@pytest.fixture()
def cli(video_model: Path, video_detector_args: dict[str, str], source_photo: Path):
    def run(target: Path, output: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        return run_zoo(["swap", "-m", video_model, *detector_cli(video_detector_args), "-s", source_photo,
                        "-t", target, "-o", output, "--all-faces", *extra], capsys)

    return run


def test_cli_swaps_a_video_and_never_overwrites_without_force(cli, pan_clip: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "clip.mp4"  # the suffix does not decide: the content does
    target = tmp_path / "clip_without_suffix"
    target.write_bytes(pan_clip.read_bytes())
    code, stdout, stderr = cli(target, out, capsys=capsys)
    assert code == 0 and stdout.startswith(f"{out}: {FRAMES} frames") and "audio copied" in stdout
    before = out.read_bytes()
    code, stdout, stderr = cli(target, out, capsys=capsys)
    assert (code, stdout, stderr) == (2, "", f"error: {out} already exists; pass --force to overwrite it\n")
    assert out.read_bytes() == before
    code, _, _ = cli(target, out, "--force", "--crf", "40", capsys=capsys)
    assert code == 0 and out.read_bytes() != before
    code, _, stderr = cli(target, out, "--force", "--quality", "40", capsys=capsys)  # the old spelling, one release
    assert code == 0
    assert ("warning: '--quality 40' on a video is deprecated and read as '--crf 40' until faceswap-zoo 0.3: write "
            "--crf (--quality is the photo quality, higher is better)") in stderr.splitlines()


def _no_video_stream(path: Path) -> None:
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(tone(0.2)[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _audio_only(path: Path) -> None:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=16000)
        frame = av.AudioFrame.from_ndarray(tone(0.2)[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _header_only(path: Path) -> None:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height = WIDTH, HEIGHT
        container.start_encoding()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("truncated", "error: cannot read video {target}: not a photo or a video FFmpeg can read, or the file is "
                      "truncated (Invalid data found when processing input)"),
        ("no_video_stream", "error: cannot read video {target}: it has no video stream (an audio-only file: audio "
                            "aac)"),
        ("audio_only", "error: cannot read video {target}: it has no video stream (an audio-only file: audio "
                       "pcm_s16le)"),
        ("empty_file", "error: cannot read video {target}: the file is empty (0 bytes)"),
        ("zero_length", "error: cannot read video {target}: the file ends before any frame (zero-length or "
                        "truncated clip)"),
        ("unknown_codec", "error: --codec nonsense264: not an encoder in this FFmpeg build (try libx264, libx265, "
                          "libvpx-vp9, mpeg4)"),
        ("audio_codec", "error: --codec aac: is an audio encoder, not a video one"),
        ("codec_container", "error: --codec mpeg4 cannot be stored in a .webm file ('webm' format does not support "
                            "'mpeg4' codec)"),
        ("crf_without_crf_codec", "error: --crf applies to libx264, libx265, libvpx-vp9, libsvtav1, not --codec "
                                  "mpeg4"),
        ("missing_output_dir", "error: output directory {tmp}/nowhere does not exist (for -o {tmp}/nowhere/out.mp4)"),
        ("image_output", "error: -o {tmp}/out.png: unsupported video container '.png' (use .mp4, .m4v, .mov, .mkv, "
                         ".webm)"),
        ("segment_past_end", "error: --start 5 s is beyond the end of {target} (0.96 s)"),
        ("empty_segment", "error: --end 0.2 must be after --start 0.5"),
    ],
)
def test_cli_bad_video_input_is_one_line(case: str, expected: str, cli, pan_clip: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    target, out, extra = tmp_path / f"{case}.mp4", tmp_path / "out.mp4", []
    if case == "truncated":
        target.write_bytes(pan_clip.read_bytes()[: pan_clip.stat().st_size // 2])
    elif case == "no_video_stream":
        _no_video_stream(target)
    elif case == "audio_only":
        target = tmp_path / "tone.wav"
        _audio_only(target)
    elif case == "empty_file":
        target.write_bytes(b"")
    elif case == "zero_length":
        target = tmp_path / "zero.mkv"
        _header_only(target)
    else:
        target = pan_clip
        extra = {"unknown_codec": ["--codec", "nonsense264"], "audio_codec": ["--codec", "aac"],
                 "codec_container": ["--codec", "mpeg4"],
                 "crf_without_crf_codec": ["--codec", "mpeg4", "--crf", "5"],
                 "segment_past_end": ["--start", "5"], "empty_segment": ["--start", "0.5", "--end", "0.2"]}.get(case, [])
        if case == "missing_output_dir":
            out = tmp_path / "nowhere" / "out.mp4"
        if case == "image_output":
            out = tmp_path / "out.png"
        if case == "codec_container":
            out = tmp_path / "out.webm"
    out.write_bytes(b"precious") if case in ("unknown_codec", "truncated") else None
    code, stdout, stderr = cli(target, out, *extra, "--force", capsys=capsys)
    assert (code, stdout) == (2, "")
    assert stderr == expected.format(target=target, tmp=tmp_path) + "\n"
    if case in ("unknown_codec", "truncated"):
        assert out.read_bytes() == b"precious"  # even with --force, a failed swap leaves it alone
    elif case != "image_output":
        assert not out.exists()
    assert not partial_path(out).exists()


@pytest.mark.parametrize(("option", "value"), [("--start", "nan"), ("--start", "inf"), ("--end", "nan"),
                                               ("--end", "inf"), ("--match-threshold", "nan")])
def test_non_finite_numbers_are_usage_errors(option: str, value: str, cli, pan_clip: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = cli(pan_clip, tmp_path / "out.mp4", option, value, capsys=capsys)
    assert (code, stdout) == (64, "")  # click's range check alone lets nan through, and inf past a minimum
    assert stderr.splitlines()[-1] == f"Error: Invalid value for '{option}': '{value}' is not a finite number"
    assert not (tmp_path / "out.mp4").exists()


def test_reference_that_is_not_a_regular_file(cli, pan_clip: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "ref.jpg"
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    code, _, stderr = cli(pan_clip, tmp_path / "out.mp4", "--reference", fifo, capsys=capsys)
    assert (code, stderr) == (2, f"error: --reference {fifo}: not a regular file (a FIFO, socket or device)\n")


def test_video_only_options_on_a_photo_are_refused(cli, source_photo: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = cli(source_photo, tmp_path / "out.png", "--start", "2", capsys=capsys)
    assert code == 2 and stderr == f"error: --start applies to video targets; {source_photo} is a photo\n"


def test_cli_masks_apply_to_video_too(cli, pan_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--mask options reach every frame: a hull shrunk by --mask-padding changes fewer pixels."""
    outputs = {}
    for name, extra in (("hull", []), ("tight", ["--mask", "hull", "--mask-padding", "-0.15"])):
        outputs[name] = tmp_path / f"{name}.mp4"
        code, _, stderr = cli(pan_clip, outputs[name], *extra, capsys=capsys)
        assert code == 0, stderr
    frames_in = read_frames(pan_clip)[0]
    changed = {name: np.mean([np.abs(out.astype(int) - frame).mean() for out, frame in
                              zip(read_frames(path)[0], frames_in)]) for name, path in outputs.items()}
    assert 0 < changed["tight"] < changed["hull"]
