"""``occluded_faces``: aligned real faces with things pasted in front, and their exact visible-face masks.

Made on the fly, one sample per (split, index, seed): no cache to go stale, endless variety, and
a resumed run sees exactly the batches it would have seen. The target is the face region (the
5-point hull that ``zoo swap`` pastes inside, drawn on the canonical template since these faces
are aligned) times one minus the pasted alpha. Faces and occluders are composited at
``supersample`` × the sample size and shrunk (:mod:`zoo_masks.composite`), so an occluder's edge
and light look like a real one's in a shrunk photo; region and alpha are shrunk the same way.

Held out: the last ``held_out_identities`` people (sorted by folder name) and the test occluders
(:mod:`zoo_masks.occluders`); procedural occluders appear in training only, most of them hands.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
from pydantic import Field

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402

from zoo.errors import ZooError  # noqa: E402
from zoo_masks.composite import composite  # noqa: E402
from zoo_masks.occluders import PROCEDURAL, Occluder, OccluderBank, Split, placed_cutout, procedural_occluder  # noqa: E402

__all__ = ["OccludedFaces", "OccludedSample", "face_region"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
_SUFFIXES = (".png", ".jpg", ".jpeg")


def face_region(size: int) -> np.ndarray:
    """The hard 5-point hull on the canonical template at ``size``: where ``zoo swap`` pastes today."""
    from zoo_faces.align import canonical_landmarks
    from zoo_faces.mask import face_mask

    return face_mask(size, canonical_landmarks(size), kind="hull", feather=0)


@dataclass(frozen=True)
class OccludedSample:
    """One face: the occluded image (S×S×3 uint8), the pasted alpha, the region and the target (S×S float32)."""

    image: np.ndarray
    alpha: np.ndarray
    region: np.ndarray
    target: np.ndarray
    kinds: tuple[str, ...]


_FACE_JITTER = A.Compose([
    A.HorizontalFlip(p=0.5),
    A.Affine(rotate=(-6, 6), scale=(0.94, 1.06), translate_percent=(-0.03, 0.03), border_mode=cv2.BORDER_REFLECT_101,
             interpolation=cv2.INTER_LINEAR, mask_interpolation=cv2.INTER_LINEAR, p=0.7),
    A.ColorJitter(brightness=0.25, contrast=0.25, saturation=0.3, hue=0.03, p=0.7),
], seed=0)


class OccludedFaces:
    """Aligned faces with real and procedural occluders pasted on them; target = face region minus occluders."""

    def __init__(
        self,
        faces: Annotated[str, Field(min_length=1, description="aligned crops, one subfolder per person (e.g. faces/glint)")],
        occluders: Annotated[str, Field(min_length=1, description="folder with glasses/, scarf/, object_train/, object_test/ ...")],
        resolution: Annotated[int, Field(ge=16, le=512, description="side of the samples (the segmenter's input)")] = 64,
        held_out_identities: Annotated[int, Field(ge=1, description="last N people (sorted) are test faces")] = 4,
        held_out_every: Annotated[int, Field(ge=2, description="every N-th glasses/scarf file is a test occluder")] = 5,
        procedural: Annotated[Probability, Field(description="chance an occluder is procedural (training only)")] = 0.5,
        hands: Annotated[Probability, Field(description="share of procedural occluders that are hands (rest: bars, hair)")] = 0.6,
        clean: Annotated[Probability, Field(description="chance a sample has no occluder at all")] = 0.12,
        second: Annotated[Probability, Field(description="chance of a second occluder")] = 0.3,
        max_per_identity: Annotated[int | None, Field(gt=0, description="use only the first N photos per person")] = None,
        supersample: Annotated[int, Field(ge=1, le=4, description="composite at N x the resolution, then shrink "
                                                                    "(anti-aliased occluder edges, as in a photo)")] = 3,
        relight: Annotated[Probability, Field(description="chance an occluder is shaded to the face's light")] = 0.8,
        degrade: Annotated[bool, Field(description="JPEG, low-res camera, blur, noise, light on the whole composite")] = True,
    ):
        self.root = Path(faces)
        if not self.root.is_dir():
            raise ZooError(f"occluded_faces: faces folder {self.root} does not exist")
        people = sorted(p for p in self.root.iterdir() if p.is_dir())
        if len(people) <= held_out_identities:
            raise ZooError(f"occluded_faces: {self.root} has {len(people)} people; need more than "
                           f"held_out_identities={held_out_identities}")
        self.people = {"train": people[:-held_out_identities], "test": people[-held_out_identities:]}
        self.paths = {split: [f for person in folders
                              for f in sorted(f for f in person.iterdir() if f.suffix.lower() in _SUFFIXES)[:max_per_identity]]
                      for split, folders in self.people.items()}
        for split, paths in self.paths.items():
            if not paths:
                raise ZooError(f"occluded_faces: no {split} images ({', '.join(_SUFFIXES)}) under {self.root}")
        self.occluders_root = Path(occluders)
        self.resolution = resolution
        self.composite_size = resolution * supersample
        self.relight, self.degrade = relight, degrade
        self.held_out_every = held_out_every
        self.procedural, self.hands, self.clean, self.second = procedural, hands, clean, second
        self._banks: dict[str, OccluderBank] = {}
        self._faces: dict[str, np.ndarray] = {}
        self._region = face_region(self.composite_size)

    def bank(self, split: Split) -> OccluderBank:
        if split not in self._banks:
            self._banks[split] = OccluderBank(self.occluders_root, split, self.held_out_every,
                                             longest=max(3 * self.resolution, 3 * self.composite_size // 2))
        return self._banks[split]

    def faces(self, split: Split) -> np.ndarray:
        """Every face of the split at the composite size, decoded once (N×C×C×3 uint8, C = ``composite_size``)."""
        if split not in self._faces:
            from zoo_faces.image import load_image

            size = self.composite_size
            self._faces[split] = np.stack([
                cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_CUBIC)
                for image in (load_image(path) for path in self.paths[split])
            ])
        return self._faces[split]

    def sample(self, split: Split, index: int, seed: int) -> OccludedSample:
        """The ``index``-th sample of ``split`` for ``seed``: the same arguments always give the same sample."""
        rng = np.random.default_rng([seed, index, 0 if split == "train" else 1])
        image, region = self._jittered_face(split, rng)
        count = 0 if rng.random() < self.clean else 1 + int(rng.random() < self.second)
        drawn = [self._occluder(split, image, rng) for _ in range(count)]
        return self._composed(image, region, [layer for layer, _ in drawn], tuple(kind for _, kind in drawn), rng)

    def sample_with(self, split: Split, occluder: Occluder, rng: np.random.Generator) -> OccludedSample:
        """A random face of ``split`` with this one cut-out placed on it, made exactly as :meth:`sample` makes
        its samples (for benchmarks that score one object at a time)."""
        image, region = self._jittered_face(split, rng)
        return self._composed(image, region, [placed_cutout(occluder, self.composite_size, rng)], (occluder.category,), rng)

    def _jittered_face(self, split: Split, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        faces = self.faces(split)
        face = faces[int(rng.integers(len(faces)))]
        _FACE_JITTER.set_random_seed(int(rng.integers(2**31)))
        jittered = _FACE_JITTER(image=face, mask=self._region)
        return jittered["image"], jittered["mask"].astype(np.float32)

    def _composed(self, image: np.ndarray, region: np.ndarray, layers: list[np.ndarray], kinds: tuple[str, ...],
                  rng: np.random.Generator) -> OccludedSample:
        shrunk = composite(image, region, layers, self.resolution, rng, relight=self.relight, degrade=self.degrade)
        return OccludedSample(image=shrunk.image, alpha=shrunk.alpha, region=shrunk.region,
                              target=shrunk.region * (1.0 - shrunk.alpha), kinds=kinds)

    def _occluder(self, split: Split, face: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        if split == "train" and rng.random() < self.procedural:
            # hands weigh most: the same colour as the face and only two real cut-outs to learn them from
            others = (1.0 - self.hands) / (len(PROCEDURAL) - 1)
            kind = str(rng.choice(PROCEDURAL, p=[self.hands if k == "hand" else others for k in PROCEDURAL]))
            return procedural_occluder(kind, self.composite_size, face, rng), kind
        bank = self.bank(split)
        occluder = bank.occluders[int(rng.integers(len(bank)))]
        return placed_cutout(occluder, self.composite_size, rng), occluder.category

    def batch(self, split: Split, indices: Sequence[int], seed: int) -> dict:
        """Tensors for training/evaluation: ``image`` N×3×S×S in [0, 1], ``target``/``region`` N×1×S×S."""
        import torch

        samples = [self.sample(split, int(i), seed) for i in indices]
        image = torch.from_numpy(np.stack([s.image for s in samples])).permute(0, 3, 1, 2).float().div_(255.0)
        target = torch.from_numpy(np.stack([s.target for s in samples]))[:, None]
        region = torch.from_numpy(np.stack([s.region for s in samples]))[:, None]
        return {"image": image, "target": target, "region": region, "kinds": [s.kinds for s in samples]}

    def __repr__(self) -> str:
        return (f"occluded_faces({self.root}: {len(self.paths['train'])} train / {len(self.paths['test'])} test faces, "
                f"occluders {self.occluders_root}, {self.resolution}px composited at {self.composite_size}px)")
