"""Look at a video swap: swap a clip with the classical compositor and write a contact sheet.

    python bench/video_demo.py CLIP OUT_DIR [--end SECONDS] [--source PHOTO] [--frames 8] [--reference PHOTO]

A random-weight generator paints a blur, which hides jitter and wrong-face mistakes; the classical
compositor (``classical_compositor``: colour-matched source face blended into the target's face, no
weights) shows them plainly. It runs through the same streaming pipeline as ``zoo swap`` on a
video (tracking, smoothing, paste-back, encoding with the audio kept). Writes ``OUT_DIR/swapped.mp4``
and ``OUT_DIR/contact_sheet.png`` (top row: input frames, bottom row: the same frames swapped, with
their times), and prints JSON: the swap report and the audio streams of input and output.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
ALIGNED_SIZE = 128


class CompositorGenerator:
    """The classical compositor behind the generator interface the swapper expects."""

    input_resolution = output_resolution = ALIGNED_SIZE

    def __init__(self) -> None:
        import zoo

        self.compositor = zoo.build("backbone", "classical_compositor")

    def swap(self, source, template):
        return self.compositor.swap(source, template)


def contact_sheet(clip: Path, swapped: Path, count: int, height: int = 180):
    import av
    import cv2
    import numpy as np

    def frames(path: Path) -> list[tuple[float, np.ndarray]]:
        with av.open(str(path)) as container:
            return [(float(frame.pts * frame.time_base), frame.to_ndarray(format="rgb24"))
                    for frame in container.decode(video=0)]

    before, after = frames(clip), frames(swapped)
    picks = np.linspace(0, len(after) - 1, count).round().astype(int)
    rows = []
    for source in (before, after):
        tiles = []
        for index in picks:
            time, image = source[index]
            width = round(image.shape[1] * height / image.shape[0])
            tile = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            cv2.putText(tile, f"{time:.2f}s", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1)
            tiles.append(tile)
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def audio_streams(path: Path) -> list[str]:
    import av

    with av.open(str(path)) as container:
        return [f"{stream.codec_context.name} {stream.codec_context.sample_rate} Hz, "
                f"{sum(frame.samples for frame in container.decode(stream)) / stream.codec_context.sample_rate:.2f} s"
                for stream in container.streams.audio]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--end", type=float, default=None)
    parser.add_argument("--source", type=Path, default=None)
    parser.add_argument("--reference", type=Path, default=None)
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    assets = Path(os.environ.get("ZOO_ASSETS") or REPO_ROOT.parent / "shared" / "assets")

    import zoo
    from zoo_faces.image import load_image, save_image
    from zoo_inference.swap import FaceSwapper
    from zoo_video.identity import DEFAULT_IDENTITY, build_embedder
    from zoo_video.pipeline import VideoJob, swap_video

    detector = zoo.build("detector", "retinaface", body="mobilenet0.25",
                         weights=str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"))
    swapper = FaceSwapper(generator=CompositorGenerator(), detector=detector.detect)  # type: ignore[arg-type]
    source = swapper.source_face(load_image(args.source or assets / "faces" / "wild" / "Tom_Cruise_avp_2014_4.jpg"))
    embedder = build_embedder(DEFAULT_IDENTITY, {})
    reference = None
    if args.reference is not None:
        photo = load_image(args.reference)
        reference = embedder.embed(photo, [swapper.detect(photo).landmarks[0]])[0]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    output = args.out_dir / "swapped.mp4"
    report = swap_video(swapper, source, args.clip, output, all_faces=reference is None, reference=reference,
                        embedder=embedder, job=VideoJob(end=args.end, force=True))
    save_image(args.out_dir / "contact_sheet.png", contact_sheet(args.clip, output, args.frames))
    print(json.dumps({"report": report.summary(), "stage_seconds": report.seconds,
                      "audio_in": audio_streams(args.clip), "audio_out": audio_streams(output)}, indent=2))


if __name__ == "__main__":
    main()
