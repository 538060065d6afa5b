"""Run every benchmark and write bench/RESULTS.md (the table the README shows), with the machine it ran on."""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BENCHMARKS = ["app_start", "pet_batch", "pet_latency", "segmentation", "avatar_instant", "avatar_tiny", "avatar_gpu",
              "fuse", "load", "soak"]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    lines = [f"Measured {datetime.date.today()} on: {machine()}", "", "| figure | value | target | note |",
             "|---|---|---|---|"]
    for name in sys.argv[1:] or BENCHMARKS:
        for fig in importlib.import_module(name).run():
            print(fig.row(), flush=True)
            lines.append(fig.row())
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"→ {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
