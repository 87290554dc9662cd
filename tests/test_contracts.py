"""Contract tests over every registered component: a new plugin is tested for free."""

from __future__ import annotations

import inspect

import pytest
import zoo
import zoo.errors
from zoo.schema import describe_arguments

SPECS = zoo.list_components()


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s.kind}:{s.name}" for s in SPECS])
def test_component_is_importable_with_schema_and_summary(spec) -> None:
    target = spec.load()
    assert callable(target)
    assert spec.summary and "\n" not in spec.summary
    schema = spec.schema()
    rows = describe_arguments(schema)
    assert [row.name for row in rows] == list(schema.model_fields)
    signature = inspect.signature(target.__init__ if inspect.isclass(target) else target)
    annotated = [p for p in signature.parameters.values() if p.name != "self"]
    assert all(p.annotation is not inspect.Parameter.empty for p in annotated), "every argument needs a type"


STAGES = zoo.list_components("stage")


@pytest.mark.parametrize("spec", STAGES, ids=[s.name for s in STAGES])
def test_stage_implements_plan_and_run(spec) -> None:
    target = spec.load()
    assert callable(getattr(target, "plan", None)) and callable(getattr(target, "run", None))


LOSSES = zoo.list_components("loss")


@pytest.mark.parametrize("spec", LOSSES, ids=[s.name for s in LOSSES])
def test_loss_builds_with_defaults_or_declares_required(spec) -> None:
    rows = describe_arguments(spec.schema())
    required = [row.name for row in rows if row.required]
    if required:
        pytest.skip(f"{spec.name} requires {required}")
    try:
        loss = spec.build()
    except zoo.errors.ZooError as error:  # e.g. a loss whose default encoder needs weights
        assert str(error), "a failing build must explain itself"
        return
    assert callable(loss)
