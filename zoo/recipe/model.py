"""The validated recipe: every component resolved to a registered spec with checked arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from zoo.schedule import StagePlan

__all__ = ["ComponentConfig", "LossConfig", "HubPush", "OutputConfig", "Recipe", "SECTIONS"]


@dataclass(frozen=True)
class ComponentConfig:
    """A registered component named in a recipe, with its validated arguments."""

    kind: str
    name: str
    args: dict[str, Any]

    def build(self) -> Any:
        from zoo.registry import default_registry

        return default_registry().build(self.kind, self.name, **self.args)

    def as_yaml(self) -> dict[str, Any]:
        return {self.kind: self.name, **self.args}


@dataclass(frozen=True)
class LossConfig(ComponentConfig):
    weight: float = 1.0

    def as_yaml(self) -> dict[str, Any]:
        return {"loss": self.name, "weight": self.weight, **self.args}


class HubPush(BaseModel):
    """Where ``output.push_to_hub`` sends the finished model folder."""

    model_config = ConfigDict(extra="forbid")
    repo: str = Field(pattern=r"^[\w.\-]+/[\w.\-]+$", description="org/name on the Hugging Face Hub")
    private: bool = False
    revision: str | None = None


class OutputConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dir: str | None = Field(None, description="run directory (default runs/<name>)")
    checkpoint_every: int = Field(200, gt=0, description="training steps between checkpoints")
    push_to_hub: HubPush | None = None


class TopLevel(BaseModel):
    """The scalar top-level settings; component sections are validated against the registry."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[\w.\-]+$", max_length=200)
    seed: int = Field(0, ge=0, le=2**64 - 1, description="torch accepts seeds of at most 64 bits")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?|mps)$")
    description: str = ""

    @field_validator("name")
    @classmethod
    def _stays_inside_runs(cls, name: str) -> str:
        """The default run directory is ``runs/<name>``: '.' or '..' would be runs/ itself or its parent."""
        if set(name) == {"."}:
            raise PydanticCustomError(
                "run_name", "would put the run directory outside runs/: use letters, digits, '_', '-'"
            )
        return name


SECTIONS = ("name", "description", "seed", "device", "data", "model", "losses", "stages", "output")


@dataclass
class Recipe:
    """A recipe that passed validation; ``resolved`` is what ran (overrides applied)."""

    name: str
    seed: int
    device: str
    description: str
    data: ComponentConfig
    model: dict[str, ComponentConfig]
    losses: list[LossConfig]
    stages: list[ComponentConfig]
    output: OutputConfig
    path: Path
    resolved: dict[str, Any]
    plans: list[StagePlan] = field(default_factory=list)

    @property
    def run_dir(self) -> Path:
        return Path(self.output.dir).expanduser() if self.output.dir else Path("runs") / self.name  # never a './~'

    def input_folders(self) -> list[tuple[str, Path]]:
        """The folders the dataset reads (its :data:`zoo.paths.ExistingFolder` arguments): never an output."""
        from zoo.paths import input_folder_fields
        from zoo.registry import default_registry

        schema = default_registry().get("dataset", self.data.name).schema()
        return [("data folder", Path(self.data.args[field])) for field in input_folder_fields(schema)
                if isinstance(self.data.args.get(field), str)]

    def resolved_yaml(self) -> str:
        """The recipe as it ran, with YAML anchors expanded so every stage reads on its own."""
        import yaml

        class ExpandedDumper(yaml.SafeDumper):
            def ignore_aliases(self, data: Any) -> bool:
                return True

        return yaml.dump(self.resolved, Dumper=ExpandedDumper, sort_keys=False)
