"""Model folders: named parts built from the registry, weights in safetensors, Hugging Face layout.

A folder holds ``model.safetensors`` (the ``generator`` part), one ``<part>.safetensors`` per other
part, ``config.json`` (format version, each part's registered backbone name, build arguments and
file, free-form ``info``), an optional ``recipe.yaml`` (provenance) and a ``README.md`` model card.
Everything needed to rebuild a part is its registered name and arguments, so a folder never
carries code and never needs a file of the machine that made it: weight paths inside arguments
are cleared (their tensors are in the folder) and kept in ``info["weights_sources"]``.

Loading is strict and from safetensors only; pickle files are refused because unpickling runs
arbitrary code. torch is imported only where tensors are touched, so reading a config (``zoo
pull``, ``zoo push``) stays fast.
"""


from zoo.modelfolder.layout import (
    CONFIG_NAME,
    FORMAT_VERSION,
    GENERATOR,
    LIBRARY_NAME,
    ModelFolder,
    ModelFolderError,
    PartSpec,
    part_filename,
)
from zoo.modelfolder.load import load_model_folder
from zoo.modelfolder.save import check_replaceable, save_model_folder, strip_weights
from zoo.modelfolder.validate import check_part_files, read_config

__all__ = [
    "CONFIG_NAME",
    "FORMAT_VERSION",
    "GENERATOR",
    "LIBRARY_NAME",
    "ModelFolder",
    "check_replaceable",
    "ModelFolderError",
    "PartSpec",
    "check_part_files",
    "load_model_folder",
    "part_filename",
    "read_config",
    "save_model_folder",
    "strip_weights",
]
