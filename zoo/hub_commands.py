"""``zoo push`` and ``zoo pull``: thin CLI commands over :mod:`zoo.hub` (imported inside the bodies)."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["pull_command", "push_command"]


@click.command("push")
@click.argument("directory", type=click.Path(path_type=Path))
@click.argument("repo_id", metavar="ORG/NAME")
@click.option("--private", is_flag=True, help="Create the repo as private (an existing repo keeps its visibility).")
@click.option("--revision", metavar="BRANCH", help="Push to this branch (created from main if missing).")
@click.option("--json", "as_json", is_flag=True, help='Print {"repo": ..., "commit_url": ...} on stdout.')
def push_command(directory: Path, repo_id: str, private: bool, revision: str | None, as_json: bool) -> None:
    """Upload a model folder to the Hugging Face Hub; prints the commit URL.

    The token comes from HF_TOKEN or `hf auth login`; it is never printed.
    """
    from zoo.hub import push_to_hub

    url = str(push_to_hub(directory, repo_id, private=private, revision=revision))
    click.echo(json.dumps({"repo": repo_id, "commit_url": url}) if as_json else url)


@click.command("pull")
@click.argument("repo_id", metavar="ORG/NAME")
@click.option("--revision", metavar="REV", help="Branch, tag or commit sha (default: main).")
@click.option("--json", "as_json", is_flag=True, help='Print {"repo": ..., "path": ...} on stdout.')
def pull_command(repo_id: str, revision: str | None, as_json: bool) -> None:
    """Download a model folder into the Hugging Face cache; prints its local path.

    Honours HF_HUB_OFFLINE (cache only) and HF_ENDPOINT.
    """
    import zoo

    folder = zoo.pull(repo_id, revision)
    click.echo(json.dumps({"repo": repo_id, "revision": revision, "path": str(folder)}) if as_json else str(folder))
