"""Which faces get swapped: all of them, one chosen by index, or the ones that are the reference person.

The same rules as for photos (``zoo_inference.swap.choose_faces``), applied to the first frame in
which faces are found; from then on the chosen faces are followed by their tracks. With
``--reference`` each face is compared with the reference photo's identity on every key frame, using
its mean embedding so far, until it matches.
"""

from __future__ import annotations

import numpy as np

from zoo_faces.detections import FaceDetections
from zoo_inference.swap import SwapError, choose_faces
from zoo_video.identity import IdentityEmbedder, cosine
from zoo_video.tracking import FaceTracker, Track

__all__ = ["FaceSelection", "ReferenceFilter"]


class FaceSelection:
    """Marks tracks as selected after each detection; install with :meth:`attach`."""

    def __init__(self, where: str, face_index: int | None = None, all_faces: bool = False,
                 reference: np.ndarray | None = None, embedder: IdentityEmbedder | None = None) -> None:
        if reference is not None and embedder is None:
            raise ValueError("a reference identity needs an embedder")
        self.where = where
        self.face_index = face_index
        self.all_faces = all_faces
        self.reference = reference
        self.embedder = embedder
        self._chosen = False
        self._tracker: FaceTracker | None = None

    def attach(self, tracker: FaceTracker) -> None:
        self._tracker = tracker
        tracker.on_detection = self

    def __call__(self, image: np.ndarray, time: float, new: list[Track], faces: FaceDetections) -> None:
        if self.reference is not None:
            self._match_reference(image, new)
        elif self.all_faces:
            for track in new:
                track.selected = True
        elif not self._chosen and len(faces) > 0:
            # on the first detection with faces every track is new, in detection order
            chosen = choose_faces(faces, self.face_index, False, where=f"{self.where} (first faces, at {time:.2f} s)")
            for index in chosen:
                new[index].selected = True
            self._chosen = True

    def _match_reference(self, image: np.ndarray, new: list[Track]) -> None:
        assert self._tracker is not None and self.embedder is not None and self.reference is not None
        pending = [track for track in self._tracker.tracks if not track.selected]
        # tracks started by this detection were embedded on this frame already
        stale = [track for track in pending if not any(track is fresh for fresh in new) or not track.embeddings]
        if stale:
            for track, embedding in zip(stale, self.embedder.embed(image, [track.raw for track in stale])):
                track.embeddings.append(embedding)
        for track in pending:
            track.selected = cosine(track.embedding, self.reference) >= self.embedder.threshold


class ReferenceFilter:
    """For photos: keep only the detected faces that are the reference person."""

    def __init__(self, reference: np.ndarray, embedder: IdentityEmbedder, reference_path: str) -> None:
        self.reference = reference
        self.embedder = embedder
        self.reference_path = reference_path

    def __call__(self, photo: np.ndarray, faces: FaceDetections, where: str) -> FaceDetections:
        if len(faces) == 0:
            raise SwapError(f"{where} has no face (the detector found none)")
        similarities = [cosine(embedding, self.reference) for embedding in self.embedder.embed(photo, faces.landmarks)]
        keep = [index for index, value in enumerate(similarities) if value >= self.embedder.threshold]
        if not keep:
            raise SwapError(f"{where}: no face is the person in --reference {self.reference_path} (best similarity "
                            f"{max(similarities):.2f} < {self.embedder.threshold:.2f}, {self.embedder.name})")
        return FaceDetections(faces.boxes[keep], faces.scores[keep], faces.landmarks[keep])
