"""Faces followed, not re-found: detection on key frames, optical flow between them.

Running the detector on every frame is the slowest part of a video swap and its per-frame
landmark noise is what makes swapped faces tremble. Here the detector runs on key frames (every
``keyframe_interval`` frames, and at once when a track is lost); in between, each face's five
landmarks are carried to the next frame by pyramidal Lucas-Kanade optical flow with a
forward-backward check (a point that does not flow back to where it started is lost). Key-frame
detections are matched to tracks by box IoU; the landmarks then go through a One-Euro filter.
A face that leaves and comes back gets its old track id when its identity embedding matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from zoo_faces.detections import FaceDetections
from zoo_video.identity import IdentityEmbedder, cosine
from zoo_video.smoothing import OneEuroFilter, SmoothingSettings, face_scale

__all__ = ["DetectionHook", "FaceTracker", "Track", "TrackerSettings", "box_iou"]

_FLOW = {"winSize": (21, 21), "maxLevel": 3,
         "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}
Window = tuple[tuple[int, int], tuple[int, int]]
"""(top, bottom), (left, right): rows and columns of a frame."""
_FLOW_MARGIN = 64
"""Pixels beyond the search window's reach, for a face that moves fast between two frames."""


@dataclass(frozen=True)
class TrackerSettings:
    keyframe_interval: int = 10
    """Frames between detector runs. Measured on generated pans with known landmarks: every 10 frames
    instead of 5 halves the detector's cost and lowers frame-to-frame landmark jitter (0.0023 vs 0.0029
    face sizes; each detection is a small jump) at a drift of 0.2 % of the face size; a lost face is
    re-detected at once either way. The price: a face entering the picture waits up to 9 frames."""
    iou_threshold: float = 0.3
    flow_error: float = 0.08
    """Largest forward-backward flow error, in face sizes, before a track counts as lost."""
    forget_after: float = 10.0
    """Seconds a lost face is remembered for re-identification."""
    smoothing: SmoothingSettings | None = field(default_factory=SmoothingSettings)
    """None: landmarks as detected/tracked, unsmoothed."""


@dataclass
class Track:
    """One face over time. ``landmarks`` are the smoothed 5×2 points used for the swap."""

    id: int
    box: np.ndarray
    raw: np.ndarray
    landmarks: np.ndarray
    smoother: OneEuroFilter | None
    embeddings: list[np.ndarray] = field(default_factory=list)
    selected: bool = False
    last_time: float = 0.0

    @property
    def embedding(self) -> np.ndarray | None:
        """Mean identity over the key frames this face was embedded on (unit length)."""
        if not self.embeddings:
            return None
        mean = np.mean(self.embeddings, axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)


def box_iou(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pairwise IoU of N×4 and M×4 boxes (x1, y1, x2, y2) → N×M."""
    top_left = np.maximum(first[:, None, :2], second[None, :, :2])
    bottom_right = np.minimum(first[:, None, 2:], second[None, :, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area = lambda boxes: np.clip(boxes[:, 2:] - boxes[:, :2], 0, None).prod(axis=1)  # noqa: E731
    return overlap / np.maximum(area(first)[:, None] + area(second)[None] - overlap, 1e-9)


DetectionHook = Callable[[np.ndarray, float, list[Track], FaceDetections], None]
"""Called after every key-frame detection with (image, time, the tracks it started, the detections)."""


class FaceTracker:
    """Keeps the clip's face tracks up to date, one frame at a time."""

    def __init__(self, detect: Callable[[np.ndarray], FaceDetections], settings: TrackerSettings | None = None,
                 embedder: IdentityEmbedder | None = None) -> None:
        self.detect = detect
        self.settings = settings or TrackerSettings()
        self.embedder = embedder
        self.tracks: list[Track] = []
        self.lost: list[Track] = []
        self.detections_run = 0
        self.on_detection: DetectionHook | None = None
        self._previous: tuple[Window, np.ndarray] | None = None
        """The grey part of the last frame around its tracks, where the next flow starts."""
        self._since_detection = 0
        self.started = 0
        """Track ids handed out so far."""

    def step(self, image: np.ndarray, time: float) -> list[Track]:
        """Advance to ``image`` (upright RGB) at ``time`` seconds; returns the tracks visible in it."""
        lost_by_flow = self._flow(image) if self._previous is not None and self.tracks else False
        key = lost_by_flow or self._since_detection + 1 >= self.settings.keyframe_interval or self.detections_run == 0
        if key:
            self._detect(image, time)
        else:
            self._since_detection += 1
        self._previous = self._flow_window(image) if self.tracks else None
        for track in self.tracks:
            track.landmarks = track.smoother(track.raw, time) if track.smoother else track.raw.copy()
            track.last_time = time
        self._forget(time)
        return list(self.tracks)

    def _flow(self, image: np.ndarray) -> bool:
        """Move every track's landmarks by optical flow; drop tracks whose points do not flow back."""
        points = self._points()
        window, previous = self._previous
        current = _grey(image, window)
        offset = np.array([window[1][0], window[0][0]], dtype=np.float32)
        forward, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, points - offset, None, **_FLOW)
        backward, back_status, _ = cv2.calcOpticalFlowPyrLK(current, previous, forward, None, **_FLOW)
        forward, backward = forward + offset, backward + offset
        error = np.linalg.norm((backward - points).reshape(-1, 2), axis=1).reshape(-1, 5)
        ok = (status.reshape(-1, 5) == 1) & (back_status.reshape(-1, 5) == 1)
        moved = forward.reshape(-1, 5, 2).astype(np.float64)
        height, width = image.shape[:2]
        keep, any_lost = [], False
        for track, new, track_error, track_ok in zip(self.tracks, moved, error, ok):
            scale = face_scale(track.raw)
            inside = (new[:, 0] >= 0).all() and (new[:, 1] >= 0).all() and (new[:, 0] < width).all() and \
                (new[:, 1] < height).all()
            if track_ok.all() and inside and track_error.max() <= self.settings.flow_error * scale:
                track.box = _moved_box(track.box, track.raw, new)
                track.raw = new
                keep.append(track)
            else:
                self._lose(track)
                any_lost = True
        self.tracks = keep
        return any_lost

    def _points(self) -> np.ndarray:
        return np.concatenate([track.raw for track in self.tracks]).astype(np.float32).reshape(-1, 1, 2)

    def _flow_window(self, image: np.ndarray) -> tuple[Window, np.ndarray]:
        """The part of ``image`` the next frame's flow will need (kept in grey, not the frame itself)."""
        window = _window_around(self._points().reshape(-1, 2), image.shape)
        return window, _grey(image, window)

    def _detect(self, image: np.ndarray, time: float) -> None:
        faces = self.detect(image)
        self.detections_run += 1
        self._since_detection = 0
        matched_tracks, matched_faces = self._match(faces)
        for track_index, face_index in zip(matched_tracks, matched_faces):
            track = self.tracks[track_index]
            track.box, track.raw = faces.boxes[face_index].astype(np.float64), faces.landmarks[face_index].astype(
                np.float64)
        for index in sorted(set(range(len(self.tracks))) - set(matched_tracks), reverse=True):
            self._lose(self.tracks.pop(index))
        new = [self._start(faces, index, image) for index in range(len(faces)) if index not in set(matched_faces)]
        self.tracks.extend(new)
        if self.on_detection is not None:
            self.on_detection(image, time, new, faces)

    def _match(self, faces: FaceDetections) -> tuple[list[int], list[int]]:
        """Greedy IoU matching of detections to tracks, best overlap first."""
        if not self.tracks or len(faces) == 0:
            return [], []
        iou = box_iou(np.stack([track.box for track in self.tracks]), faces.boxes.astype(np.float64))
        tracks, detections = [], []
        for flat in np.argsort(-iou, axis=None):
            row, column = np.unravel_index(flat, iou.shape)
            if iou[row, column] < self.settings.iou_threshold:
                break
            if row not in tracks and column not in detections:
                tracks.append(int(row))
                detections.append(int(column))
        return tracks, detections

    def _start(self, faces: FaceDetections, index: int, image: np.ndarray) -> Track:
        """A track for a new detection: an old id when the identity matches a face seen before."""
        raw = faces.landmarks[index].astype(np.float64)
        embedding = self.embedder.embed(image, [raw])[0] if self.embedder is not None else None
        returning = self._reidentify(embedding) if embedding is not None else None
        smoothing = self.settings.smoothing
        if returning is not None:
            returning.box, returning.raw = faces.boxes[index].astype(np.float64), raw
            returning.embeddings.append(embedding)
            if returning.smoother:
                returning.smoother.reset()
            return returning
        track = Track(id=self.started, box=faces.boxes[index].astype(np.float64), raw=raw, landmarks=raw.copy(),
                      smoother=OneEuroFilter(smoothing) if smoothing else None,
                      embeddings=[embedding] if embedding is not None else [])
        self.started += 1
        return track

    def _reidentify(self, embedding: np.ndarray) -> Track | None:
        candidates = [(cosine(track.embedding, embedding), track) for track in self.lost if track.embedding is not None]
        if not candidates:
            return None
        similarity, best = max(candidates, key=lambda pair: pair[0])
        if similarity < self.embedder.threshold:
            return None
        self.lost.remove(best)
        return best

    def _lose(self, track: Track) -> None:
        if self.embedder is not None and track.embedding is not None:
            self.lost.append(track)

    def _forget(self, time: float) -> None:
        self.lost = [track for track in self.lost if time - track.last_time <= self.settings.forget_after]


def _window_around(points: np.ndarray, shape: tuple[int, ...]) -> Window:
    """Rows and columns of the part of the frame the flow needs: the points plus the reach of its
    search window at the coarsest pyramid level, on a grid of that level's pixels so the pyramid
    is the full frame's (building pyramids of whole 1080p frames was most of the tracking time)."""
    step = 2 ** _FLOW["maxLevel"]
    reach = _FLOW["winSize"][0] * step + _FLOW_MARGIN
    (left, top), (right, bottom) = points.min(0) - reach, points.max(0) + reach
    height, width = shape[:2]
    return ((max(int(top // step) * step, 0), min(int(-(-bottom // step)) * step, height)),
            (max(int(left // step) * step, 0), min(int(-(-right // step)) * step, width)))


def _grey(image: np.ndarray, window: Window) -> np.ndarray:
    (top, bottom), (left, right) = window
    return cv2.cvtColor(np.ascontiguousarray(image[top:bottom, left:right]), cv2.COLOR_RGB2GRAY)


def _moved_box(box: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Shift and scale the box the way its landmarks moved."""
    zoom = face_scale(after) / face_scale(before)
    centre = (box[:2] + box[2:]) / 2 + after.mean(axis=0) - before.mean(axis=0)
    half = (box[2:] - box[:2]) / 2 * zoom
    return np.concatenate([centre - half, centre + half])
