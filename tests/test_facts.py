"""Typed cross-stage facts: one record per type, keyed by type, through checkpoints as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from zoo.facts import Fact, FactStore


@dataclass(frozen=True)
class Reached(Fact, key="test.reached"):
    resolution: int
    groups: tuple[str, ...]
    scores: dict[str, float]


@dataclass(frozen=True)
class Other(Fact, key="test.other"):
    note: str


def test_a_fact_is_found_by_its_type_and_replaced_by_the_next_of_that_type() -> None:
    store = FactStore()
    assert store.get(Reached) is None and Reached not in store
    store.put(Reached(16, ("a",), {}))
    store.put(Other("x"))
    store.put(Reached(32, ("a", "b"), {"psnr": 20.5}))
    assert store.get(Reached) == Reached(32, ("a", "b"), {"psnr": 20.5})
    assert store.get(Other) == Other("x")


def test_facts_go_through_json_and_come_back_typed_when_asked_for() -> None:
    store = FactStore()
    store.put(Reached(32, ("fake_template", "fake_label"), {"psnr": 20.5}))
    text = json.dumps(store.to_json())
    assert json.loads(text) == {"test.reached": {"resolution": 32, "groups": ["fake_template", "fake_label"],
                                                 "scores": {"psnr": 20.5}}}
    stored = {**json.loads(text), "plugin.not_imported_yet": {"n": 1}}
    again = FactStore(stored)
    assert Reached in again and Other not in again
    assert again.get(Reached) == Reached(32, ("fake_template", "fake_label"), {"psnr": 20.5})  # a tuple again
    assert json.loads(json.dumps(again.to_json())) == stored  # written back unchanged, also facts nobody asked for


def test_a_fact_type_needs_its_own_key() -> None:
    with pytest.raises(TypeError, match="needs a key"):
        class NoKey(Fact):  # noqa: F841
            pass
    with pytest.raises(TypeError, match="'test.reached' of .*Clash is already taken by .*Reached"):
        class Clash(Fact, key="test.reached"):  # noqa: F841
            pass


def test_only_fact_dataclasses_are_stored() -> None:
    with pytest.raises(TypeError, match="takes a Fact dataclass, got dict"):
        FactStore().put({"samples": 1})  # type: ignore[arg-type]


def test_a_checkpoint_carries_the_run_facts_and_the_stage_summaries(tmp_path: Path) -> None:
    from zoo.checkpoint import Checkpoint, Checkpointer
    from zoo.context import StageSummaries, StageSummary

    store = FactStore()
    store.put(Reached(64, ("triplet",), {"ssim": 0.75}))
    store.put(StageSummaries((StageSummary(0, "train", 16, 32, 12, 1.5, {"loss": 0.25}),)))
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(Checkpoint(stage_index=0, stage_done=True, step=0, recipe_yaml="name: x\n", part_args={},
                                 part_tensors={}, artifacts={}, facts=store.to_json()), sequence=1)
    read = FactStore(checkpointer.latest().facts)
    assert read.get(Reached) == Reached(64, ("triplet",), {"ssim": 0.75})
    assert read.get(StageSummaries).rows == (StageSummary(0, "train", 16, 32, 12, 1.5, {"loss": 0.25}),)
