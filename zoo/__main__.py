"""``python -m zoo``: what ``torchrun -m zoo run recipe.yaml`` starts in every process."""

from zoo.cli import main

main()
