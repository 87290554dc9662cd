"""A component's argument schema is its typed signature, turned into a pydantic model.

Deriving the schema from the signature keeps one source of truth: the constructor a Python user
calls is exactly what a recipe is validated against and what ``zoo info`` prints.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.fields import FieldInfo

from zoo.refs import RefProblem, merge_legacy_args, ref_marker

__all__ = [
    "ArgumentDoc",
    "schema_for",
    "describe_arguments",
    "format_path",
    "format_validation_error",
    "reject_bools",
    "validate_args",
]


def _signature_source(target: Callable[..., Any]) -> tuple[inspect.Signature, dict[str, Any]]:
    function = target.__init__ if isinstance(target, type) else target
    signature = inspect.signature(function)
    hints = typing.get_type_hints(function, include_extras=True)
    return signature, hints


def schema_for(target: Callable[..., Any], name: str) -> type[BaseModel]:
    """Build the pydantic model of ``target``'s keyword arguments (``self`` and ``*args`` excluded)."""
    signature, hints = _signature_source(target)
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.name == "self" or parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    # validate_default: a reference's default name becomes a checked ComponentRef like a given one;
    # inf/nan are never a sensible argument (an ``lr: .inf`` trains nothing but NaNs)
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, protected_namespaces=(), validate_default=True,
                        allow_inf_nan=False)
    return create_model(f"{name}_args", __config__=config, **fields)


def _numbers_only(annotation: Any) -> str | None:
    """'integer' or 'number' when an annotation accepts only ints/floats (and None), else None."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    members = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    members = tuple(m for m in members if m is not type(None))
    if members and all(m is int for m in members):
        return "integer"
    if members and all(m in (int, float) for m in members):
        return "number"
    return None


def reject_bools(schema: type[BaseModel], args: dict[str, Any]) -> None:
    """pydantic reads ``steps: true`` as 1; a bool where a number belongs is a mistake, not a 1."""
    errors = []
    for name, value in args.items():
        info = schema.model_fields.get(name)
        if isinstance(value, bool) and info is not None:
            kind = _numbers_only(info.annotation)
            if kind is not None:
                errors.append({"type": "int_type" if kind == "integer" else "float_type", "loc": (name,), "input": value})
    if errors:
        raise ValidationError.from_exception_data(schema.__name__, errors)


def validate_args(schema: type[BaseModel], args: dict[str, Any]) -> dict[str, Any]:
    """Validate ``args``; return them coerced, as keyword arguments (defaults filled in)."""
    refs = [name for name, info in schema.model_fields.items() if ref_marker(info.metadata)]
    args = merge_legacy_args(refs, set(schema.model_fields), args) if refs else args
    reject_bools(schema, args)
    validated = schema.model_validate(args)
    return {field: getattr(validated, field) for field in type(validated).model_fields}


@dataclass(frozen=True)
class ArgumentDoc:
    """One row of ``zoo info``: what a recipe may set for a component."""

    name: str
    type: str
    default: str
    required: bool
    constraints: str
    description: str


def _type_name(annotation: Any, metadata: list[Any] | None = None) -> str:
    marker = ref_marker(metadata or [])
    if marker is not None:
        return marker.describe()
    if annotation is None or annotation is type(None):
        return "None"
    text = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
    return text.replace("typing.", "").replace("NoneType", "None")


def _constraints(info: FieldInfo) -> str:
    parts = []
    for item in info.metadata:
        for key in ("gt", "ge", "lt", "le", "min_length", "max_length", "multiple_of", "pattern"):
            value = getattr(item, key, None)
            if value is not None:
                parts.append(f"{key}={value}")
    return ", ".join(parts)


def describe_arguments(schema: type[BaseModel]) -> list[ArgumentDoc]:
    rows = []
    for name, info in schema.model_fields.items():
        required = info.is_required()
        default = "" if required else repr(info.get_default(call_default_factory=True))
        rows.append(
            ArgumentDoc(
                name=name,
                type=_type_name(info.annotation, info.metadata),
                default=default,
                required=required,
                constraints=_constraints(info),
                description=info.description or "",
            )
        )
    return rows


def format_path(path: tuple[str | int, ...]) -> str:
    """``("stages", 2, "lr")`` → ``stages[2].lr``: how recipe locations are written everywhere."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def format_validation_error(
    error: ValidationError, allowed: list[str] | None = None
) -> list[tuple[tuple[str | int, ...], str]]:
    """Turn pydantic's errors into ``(path, message)`` pairs a person can act on."""
    problems = []
    for item in error.errors(include_url=False):
        path = tuple(item["loc"])
        kind = item["type"]
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, RefProblem):  # a nested component's own problems, at their own paths
            problems.extend((path + sub_path, message) for sub_path, message in cause.problems)
            continue
        if kind == "extra_forbidden":
            known = ", ".join(allowed or []) or "none"
            message = f"unknown argument (valid: {known})"
        elif kind == "missing":
            message = "missing required argument"
        else:
            message = item["msg"]
            if "input" in item and not isinstance(item["input"], dict | list):
                message += f" (got {item['input']!r})"
        problems.append((path, message))
    return problems
