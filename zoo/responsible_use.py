"""The responsible-use section every model card carries: what the model is for, consent, limits, data licence.

A face-swap model travels without its README, so its own card has to say what it may be used
for and on whose faces; the training data's licence is part of what a user may do with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["UNDECLARED_LICENCE", "card_section"]

UNDECLARED_LICENCE = "not declared by the dataset: the licence (and consent) of the photos it was built from applies"


def card_section(info: Mapping[str, Any]) -> list[str]:
    """Markdown lines for the card, filled from the model folder's ``info`` (training data, resolution)."""
    data = info.get("training_data") if isinstance(info.get("training_data"), Mapping) else {}
    dataset = data.get("dataset", "not recorded")
    licence = data.get("licence") or UNDECLARED_LICENCE
    resolution = info.get("resolution")
    size = f" at {resolution}×{resolution} px" if resolution else ""
    return [
        "## Responsible use",
        "",
        "- **Intended use**: research and teaching on face swapping, building and testing detectors of synthetic "
        "media, and creative work with the consent of everyone whose face is used.",
        "- **Consent**: swap only faces of people who agreed to this use. Do not use the model to impersonate, "
        "deceive, defame or harass anyone, or to make sexual or intimate images of anyone; in many places "
        "such use is a crime.",
        "- **Disclosure**: `zoo swap` writes provenance into every image it outputs (PNG text chunks / EXIF: made by "
        "faceswap-zoo, model id and revision). Keep it, and label swapped media as synthetic when you share it.",
        f"- **Limitations**: a small model trained{size} on limited data. Expect visible artefacts, identity that is "
        "only partly transferred, and worse results for faces, poses, lighting, ages and skin tones unlike its "
        "training data. It is not a face-recognition or identity-verification tool.",
        f"- **Training data**: {dataset} — licence: {licence}.",
    ]
