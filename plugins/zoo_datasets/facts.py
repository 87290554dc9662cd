"""What a dataset reports at plan time, before any face is loaded (see :mod:`zoo.facts`)."""

from __future__ import annotations

from dataclasses import dataclass

from zoo.facts import Fact

__all__ = ["DataSurvey"]


@dataclass(frozen=True)
class DataSurvey(Fact, key="datasets.survey"):
    """How many people the data holds and the most photos of one person (F1 needs two)."""

    identities: int
    most_per_identity: int
