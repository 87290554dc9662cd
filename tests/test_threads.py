"""CPU thread settings (zoo.threads): a short spin then sleep, CPUs shared among local ranks, the user wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from zoo import threads
from zoo.threads import available_cpus, configure_threads


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "LOCAL_WORLD_SIZE")}
    return {**env, **extra}


def test_defaults_are_a_short_spin_then_sleep_and_every_available_cpu() -> None:
    env: dict[str, str] = {}
    settings = configure_threads(env)
    assert env == {"OMP_NUM_THREADS": str(available_cpus()), "GOMP_SPINCOUNT": threads.SPIN_COUNT}
    assert (settings.threads, settings.threads_source, settings.wait_policy) == (
        available_cpus(), "auto", f"SPIN {threads.SPIN_COUNT} THEN SLEEP")


def test_torchrun_ranks_on_one_machine_share_its_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "available_cpus", lambda: 8)
    env = {"LOCAL_WORLD_SIZE": "3"}
    settings = configure_threads(env)
    assert env["OMP_NUM_THREADS"] == "2" and settings.local_processes == 3
    assert settings.describe() == ("2 threads (auto: 8 CPUs / 3 local processes), OpenMP waiting "
                                   f"spin {threads.SPIN_COUNT} then sleep")


def test_the_users_settings_always_win() -> None:
    env = {"OMP_NUM_THREADS": "3,1", "OMP_WAIT_POLICY": "active"}
    settings = configure_threads(env)
    assert env == {"OMP_NUM_THREADS": "3,1", "OMP_WAIT_POLICY": "active"}
    assert settings.describe() == "3 threads (OMP_NUM_THREADS), OpenMP waiting active"


@pytest.mark.parametrize(("v2", "expected"), [("150000 100000\n", 2), ("max 100000\n", None), ("50000 100000\n", 1)])
def test_a_cgroup_quota_caps_the_cpu_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, v2: str,
                                           expected: int | None) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(v2)
    monkeypatch.setattr(threads, "_CGROUP_V2_MAX", cpu_max)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert available_cpus() == (16 if expected is None else expected)


def test_import_zoo_sets_the_pool_before_torch_starts_it() -> None:
    code = "import zoo, os, torch; print(torch.get_num_threads(), os.environ['GOMP_SPINCOUNT'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_clean_env()).stdout.split()
    assert out == [str(available_cpus()), threads.SPIN_COUNT]


def test_torch_imported_first_is_left_alone_and_said_so() -> None:
    code = ("import torch; torch.set_num_threads(1); import zoo.threads as t, os; "
            "s = t.current_settings(); print(s.threads, s.threads_source, 'OMP_NUM_THREADS' in os.environ)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_clean_env()).stdout.strip()
    assert out == "1 torch imported first False"


def test_zoo_run_says_its_thread_settings_in_the_header_and_json(tmp_path: Path) -> None:
    recipe = Path(__file__).parent.parent / "recipes" / "quickstart.yaml"
    dry = subprocess.run([sys.executable, "-m", "zoo", "run", str(recipe), "--dry-run", "--json", "-o", str(tmp_path / "r")],
                         capture_output=True, text=True, env=_clean_env(OMP_NUM_THREADS="1"))
    assert dry.returncode == 0, dry.stderr
    payload = json.loads(dry.stdout)
    assert payload["threads"] == {"threads": 1, "threads_source": "OMP_NUM_THREADS",
                                  "omp_wait_policy": f"SPIN {threads.SPIN_COUNT} THEN SLEEP",
                                  "cpus": available_cpus(), "local_processes": 1}
    assert [row["stage"] for row in payload["plan"]][:2] == [1, 2]


def test_the_torchrun_launcher_gives_each_rank_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo.launch import child_environment

    assert child_environment(2, threads.ThreadSettings(6, "auto", "PASSIVE", 6, 1))["OMP_NUM_THREADS"] == "3"
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert child_environment(2, threads.ThreadSettings(5, "OMP_NUM_THREADS", "PASSIVE", 6, 1))["OMP_NUM_THREADS"] == "5"


TINY = """
name: tiny
data: {dataset: synthfaces, identities: 8, images_per_identity: 4}
model:
  generator: {backbone: adain_swap, resolution: 32, channels: 8, max_channels: 16, downsamples: 2, blocks: 1,
              identity: learned, id_dim: 16}
losses: [{loss: pixel}]
stages:
  - {stage: build_groups, resolution: 32, quantity: 16}
  - {stage: train, steps: 2, batch_size: 4}
output: {dir: %s}
"""


def test_a_real_run_starts_with_the_header_line(tmp_path: Path) -> None:
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(TINY % (tmp_path / "run"))
    done = subprocess.run([sys.executable, "-m", "zoo", "run", str(recipe), "--json"], capture_output=True, text=True,
                          env=_clean_env())
    assert done.returncode == 0, done.stderr
    cpus = available_cpus()
    assert done.stderr.splitlines()[0] == (
        f"zoo run tiny: 2 stages, 1 process, device cpu, {cpus} thread{'s' * (cpus > 1)} "
        f"(auto: {cpus} CPUs / 1 local process), OpenMP waiting spin {threads.SPIN_COUNT} then sleep"
    )
    summary = json.loads(done.stdout)
    assert summary["threads"]["threads_source"] == "auto"
    assert [stage["stage"] for stage in summary["stages"]] == ["build_groups", "train"]
