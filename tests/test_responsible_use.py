"""Every model card says what the model is for, asks for consent, names its limits and its training data's licence."""

from __future__ import annotations

from pathlib import Path

import torch

import zoo
from zoo.modelfolder import PartSpec, save_model_folder
from zoo.responsible_use import UNDECLARED_LICENCE


def _card(folder: Path, info: dict) -> str:
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", resolution=16, channels=8, max_channels=16, downsamples=1,
                          blocks=1, id_dim=16)
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info=info)
    return (folder / "README.md").read_text()


def test_the_card_carries_the_responsible_use_section_with_the_data_licence(tmp_path: Path) -> None:
    from zoo_synthfaces.dataset import SynthFaces

    card = _card(tmp_path / "model", {"name": "m", "resolution": 16,
                                      "training_data": {"dataset": "synthfaces", "licence": SynthFaces.licence}})
    section = card.split("## Responsible use\n", 1)[1].split("\n## ", 1)[0]
    assert "**Intended use**" in section and "**Consent**: swap only faces of people who agreed" in section
    assert "provenance into every image" in section and "trained at 16×16 px" in section
    assert ("- **Training data**: synthfaces — licence: procedurally generated faces of no real person, made by "
            "faceswap-zoo (Apache-2.0).") in section
    assert "| training_data |" not in card  # shown in the section, not repeated in the details table


def test_a_dataset_without_a_declared_licence_says_so(tmp_path: Path) -> None:
    card = _card(tmp_path / "model", {"name": "m", "training_data": {"dataset": "folder", "licence": None}})
    assert f"- **Training data**: folder — licence: {UNDECLARED_LICENCE}." in card
