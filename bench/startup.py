"""Start-up cost of the CLI next to bare Python and `import torch`, measured in one run.

Prints JSON. Targets on the 2-core reference machine: `zoo --help` <= 0.25 s and `zoo list` <= 0.5 s
(median of >= 5 runs), i.e. neither imports torch.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

RUNS = 7
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "zoo --help": [sys.executable, "-m", "zoo", "--help"],
    "zoo list": [sys.executable, "-m", "zoo", "list"],
    "zoo plugins": [sys.executable, "-m", "zoo", "plugins"],
}


def median_seconds(command: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    subprocess.run(COMMANDS["python -c 'import torch'"], check=True)  # warm the file cache once
    results = {name: median_seconds(command) for name, command in COMMANDS.items()}
    baseline = results["python -c pass"]
    report = {
        "runs_per_command": RUNS,
        "median_seconds": {k: round(v, 4) for k, v in results.items()},
        "ratio_to_bare_python": {k: round(v / baseline, 2) for k, v in results.items()},
        "targets": {"zoo --help": 0.25, "zoo list": 0.5},
        "meets_targets": results["zoo --help"] <= 0.25 and results["zoo list"] <= 0.5,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
