"""The ``zoo`` command: a thin layer over the Python API.

Listing and help must stay fast, so nothing here imports torch at module level; commands import
what they need inside their bodies.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from zoo import __version__
from zoo.errors import EXIT_CODES, EXIT_INTERRUPTED, EXIT_USAGE, EXIT_USER_ERROR, ZooError
from zoo.remedy import in_cli_words
from zoo.table import render_table
from zoo.hub_commands import pull_command, push_command

__all__ = ["cli", "main"]

class ZooGroup(click.Group):
    """Adds plugin commands on first use, so `zoo --help` lists them too."""

    _plugins_added = False

    def _add_plugin_commands(self) -> None:
        if not self._plugins_added:
            self._plugins_added = True
            from zoo.registry import default_registry

            default_registry().add_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._add_plugin_commands()
        return super().get_command(ctx, name)


_EPILOG = "\b\nExit status:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=_EPILOG)
@click.version_option(__version__, prog_name="zoo")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or status lines: only results, warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Progress lines every second in a pipe (default: every 5 s).")
def cli(debug: bool, quiet: bool, verbose: bool) -> None:
    """faceswap zoo: train, share and run face-swap models.

    \b
    zoo list                      what is installed (backbones, detectors, losses, stages, datasets)
    zoo info NAME                 a component's arguments
    zoo run recipes/quickstart.yaml   train through a YAML curriculum
    """
    if debug:
        os.environ["ZOO_DEBUG"] = "1"
    if quiet and verbose:
        raise click.UsageError("use either -q/--quiet or -v/--verbose, not both")
    if quiet or verbose:
        os.environ["ZOO_PROGRESS"] = "quiet" if quiet else "verbose"  # read by zoo.progress


@cli.command("list")
@click.argument("kind", required=False)
@click.argument("pattern", required=False, default="*")
@click.option("--role", default=None, help="Only components of this role (see --roles).")
@click.option("--roles", "show_roles", is_flag=True, help="List the declared roles and the protocol each one requires.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def list_command(kind: str | None, pattern: str, role: str | None, show_roles: bool, as_json: bool) -> None:
    """List registered components: zoo list [KIND] [PATTERN] (KIND singular or plural; fnmatch wildcards)."""
    import zoo
    from zoo.registry import KINDS, default_registry, kind_named

    registry = default_registry()
    if show_roles:
        rows = [(r.name, r.target, r.distribution, r.summary) for r in sorted(registry.roles.values(), key=lambda r: r.name)]
        if as_json:
            click.echo(json.dumps([dict(zip(("role", "protocol", "package", "summary"), row)) for row in rows], indent=2))
            return
        click.echo(render_table(("ROLE", "PROTOCOL", "PACKAGE", "WHAT IT DOES"), rows))
        return
    kinds = ", ".join(KINDS)
    if kind is not None:
        known = kind_named(kind)
        if known is None and pattern != "*":
            raise ZooError(f"unknown component kind {kind!r} (kinds: {kinds})")
        kind, pattern = (known, pattern) if known else (None, kind)
    specs = zoo.list_components(kind, pattern, role=role)
    conflicts = registry.conflicts(kind, pattern) if role is None else {}
    if not specs and not conflicts:
        raise ZooError(f"no {role or kind or 'component'} matches {pattern!r} (kinds: {kinds}; `zoo list` shows everything)")
    if as_json:
        click.echo(json.dumps(
            [{"kind": s.kind, "name": s.name, "role": s.role, "package": s.distribution, "summary": s.summary}
             for s in specs]
            + [{"kind": k, "name": name, "role": None, "package": [s.distribution for s in owners], "conflict": True}
               for (k, name), owners in conflicts.items()], indent=2))
        return
    rows = [(spec.kind, spec.name, spec.role or "-", spec.distribution, spec.summary) for spec in specs]
    rows += [
        (k, name, "-", ", ".join(s.distribution for s in owners), "CONFLICT: registered by each of these packages; uninstall one")
        for (k, name), owners in conflicts.items()
    ]
    click.echo(render_table(("KIND", "NAME", "ROLE", "PACKAGE", "SUMMARY"), rows))


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """Show every discovered plugin, its package and version, and why a broken one failed."""
    import zoo

    infos = zoo.plugins()
    if as_json:
        payload = [
            {
                "name": info.name,
                "module": info.module,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "ok": info.ok,
                "error": info.error,
                "problems": info.problems,
                "components": info.components,
            }
            for info in infos
        ]
        click.echo(json.dumps(payload, indent=2))
        return
    rows = []
    for info in infos:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(info.components.items())) or "-"
        status = "; ".join(["ok" if info.ok else f"BROKEN: {info.error}", *info.problems])
        rows.append((info.name, f"{info.distribution} {info.version}", counts, status))
    click.echo(render_table(("PLUGIN", "PACKAGE", "COMPONENTS", "STATUS"), rows))


@cli.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def info_command(name: str, as_json: bool) -> None:
    """Show a component's summary, role and arguments: zoo info NAME (or KIND:NAME)."""
    from zoo.info import describe, describe_data

    click.echo(json.dumps(describe_data(name), indent=2) if as_json else describe(name))


@cli.command("run", context_settings={"ignore_unknown_options": False})
@click.argument("recipe", type=click.Path(path_type=str))
@click.option("--set", "settings", multiple=True, metavar="KEY.PATH=VALUE",
              help="Set a recipe value, e.g. --set stages.2.lr=1e-5 (the value is read as YAML).")
@click.option("-o", "--output", "outputs", multiple=True, metavar="DIR",
              help="Run directory (default: the recipe's output.dir, else runs/<name>).")
@click.option("--dry-run", is_flag=True, help="Validate, print the resolved recipe and the plan, and exit.")
@click.option("--resume", is_flag=True, help="Continue from the run directory's last checkpoint.")
@click.option("--force", is_flag=True, help="With --resume: continue even if the recipe changed.")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes (launched through torchrun; DDP with gloo on CPU, nccl on GPU).")
@click.option("--device", default=None,
              help="The recipe's device (auto, cpu, cuda, cuda:N, mps), like --set device=...; dlib components "
                   "run on the CPU whatever this says.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON on stdout: the plan (with --dry-run) or the finished run's summary.")
def run_command(recipe: str, settings: tuple[str, ...], outputs: tuple[str, ...], dry_run: bool, resume: bool,
                force: bool, nproc: int, device: str | None, as_json: bool) -> None:
    """Train through a YAML recipe's stages, writing a model folder.

    RECIPE is a YAML file or the name of a shipped recipe (quickstart, progressive, fake_template, ...).
    """
    import zoo
    from zoo.threads import current_settings

    overrides = _recipe_overrides(settings, outputs)
    if device is not None:
        from zoo.command_options import check_device
        from zoo.recipe.resources import resolved_device

        check_device(resolved_device(device))
        overrides.append(f"device={device}")
    if dry_run:
        planned = zoo.plan(recipe, overrides, resume=resume, force=force)
        click.echo(json.dumps(planned.to_json(), indent=2) if as_json else planned.render())
        return
    from dataclasses import asdict

    result = zoo.run(recipe, overrides, resume=resume, force=force, nproc=nproc)
    if as_json and result.is_main:
        click.echo(json.dumps({"run_dir": str(result.run_dir), "threads": current_settings().as_dict(),
                               "stages": [asdict(summary) for summary in result.summaries]}, indent=2))


def _recipe_overrides(settings: tuple[str, ...], outputs: tuple[str, ...]) -> list[str]:
    """``--set`` values plus ``-o DIR`` as ``output.dir``; the old ``-o KEY=VALUE`` still works, with a warning.

    ``-o`` means the output in every command (the run directory here), so overrides moved to ``--set``.
    """
    import warnings

    overrides = list(settings)
    directories = []
    for value in outputs:
        if "=" in value:
            warnings.warn(f"'zoo run -o {value}' is deprecated and read until faceswap-zoo 0.3: write "
                          f"'--set {value}' (-o is the run directory, the output, as in every command)",
                          FutureWarning, stacklevel=2)
            overrides.append(value)
        elif not value.strip():
            raise ZooError("-o needs a run directory, got an empty name")
        else:
            directories.append(value)
    if len(directories) > 1:
        raise ZooError(f"-o names the run directory once, got {len(directories)}: {', '.join(directories)}")
    return overrides + [f"output.dir={directory}" for directory in directories]


cli.add_command(push_command)
cli.add_command(pull_command)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: Any = None, line: str | None = None) -> None:
    """Deprecations and other warnings for people: ``warning: …`` on stderr, not a source location."""
    click.echo(f"warning: {message}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors and a non-zero exit unless --debug."""
    import warnings

    args = sys.argv[1:] if argv is None else argv
    previous, warnings.showwarning = warnings.showwarning, _one_line_warning
    try:
        _main(args)
    finally:
        warnings.showwarning = previous


def _main(args: list[str]) -> None:
    """The one place that turns an outcome into an exit status (the table is :data:`zoo.errors.EXIT_CODES`)."""
    try:
        cli.main(args=args, prog_name="zoo", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:  # unknown option, missing argument, bad choice or value
        error.show()
        sys.exit(EXIT_USAGE)
    except click.ClickException as error:  # e.g. a file click could not open: bad input
        error.show()
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except ZooError as error:
        if os.environ.get("ZOO_DEBUG") or "--debug" in args:
            raise
        click.echo(f"error: {in_cli_words(str(error))}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
