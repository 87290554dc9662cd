"""``concat``: several face datasets read as one, each person kept apart from every other's.

Identity is learned from many people, and no single folder has enough of them: the shared Glint
sample holds 20, CFP 498, the dlib chips 5. ``concat`` lists its members as typed dataset
references, so each keeps its own reader, cache and native resolution; labels are offset per
member, so two people from different folders are never the same person (even with equal names).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Annotated, Any

import torch
from pydantic import Field
from torch import Tensor

from zoo.refs import ComponentRef, Ref, as_ref
from zoo.schedule import PlanError
from zoo_datasets.base import FaceDataset, Upscaler
from zoo_datasets.facts import DataSurvey

__all__ = ["ConcatFaces", "DatasetRef"]

DatasetRef = Ref("dataset", kind="dataset")


class ConcatFaces(FaceDataset):
    """The faces of every member in order; identity labels offset so the members' people stay distinct."""

    def __init__(
        self,
        datasets: Annotated[list[DatasetRef], Field(min_length=1, description="member datasets, each a name or "
                                                                            "{name: NAME, ARG: VALUE, ...}")],
    ):
        self.members: list[FaceDataset] = [as_ref(DatasetRef, member).build() for member in datasets]
        self._starts: list[int] = []
        self._labels: list[int] = []
        for member in self.members:
            self._starts.append(len(self._labels))
            offset = max(self._labels, default=-1) + 1
            self._labels.extend(offset + label for label in member.identities())
        natives = [member.native_resolution for member in self.members]
        self.native_resolution = None if None in natives else max(n for n in natives if n is not None)
        licences = sorted({member.licence for member in self.members if member.licence})
        self.licence = "; ".join(licences) or None

    @classmethod
    def survey(cls, **args: Any) -> DataSurvey | None:
        """The members' surveys added up; unknown when any member cannot tell."""
        identities, most = 0, 0
        for index, member in enumerate(args["datasets"]):
            ref: ComponentRef = as_ref(DatasetRef, member)
            from zoo.registry import default_registry

            survey = getattr(default_registry().get("dataset", ref.name).load(), "survey", None)
            try:
                facts = survey(**ref.args) if callable(survey) else None
            except PlanError as error:
                raise PlanError(f"datasets.{index}" + (f".{error.field}" if error.field else ""), error.message) from None
            if not isinstance(facts, DataSurvey):
                return None
            identities += facts.identities
            most = max(most, facts.most_per_identity)
        return DataSurvey(identities=identities, most_per_identity=most)

    def __len__(self) -> int:
        return len(self._labels)

    def identity(self, index: int) -> int:
        return self._labels[index]

    def identities(self) -> list[int]:
        return list(self._labels)

    def _locate(self, index: int) -> tuple[int, int]:
        if not 0 <= index < len(self):
            raise IndexError(f"face {index} out of range for {self!r}")
        member = bisect.bisect_right(self._starts, index) - 1
        return member, index - self._starts[member]

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        """Read each member's faces in one call per member, then restore the asked order."""
        where: dict[int, list[tuple[int, int]]] = {}
        for position, index in enumerate(indices):
            member, local = self._locate(int(index))
            where.setdefault(member, []).append((position, local))
        result: Tensor | None = None
        for member, items in where.items():
            faces = self.members[member].images([local for _, local in items], resolution, upscaler)
            if result is None:
                result = faces.new_empty((len(indices), *faces.shape[1:]))
            result[torch.tensor([position for position, _ in items])] = faces
        if result is None:
            return torch.empty(0, 3, resolution, resolution)
        return result

    def __repr__(self) -> str:
        people = len(set(self._labels))
        return f"concat({', '.join(repr(m) for m in self.members)}: {people} identities, {len(self)} faces)"
