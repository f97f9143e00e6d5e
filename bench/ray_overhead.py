"""What the Ray backend costs: the same MiniWoB++ replay episodes on the local runner and on Ray, same parallelism.

Both runs play the same episodes (replay agent, no model) with ``--parallel`` episodes at a time: the local
backend in one Chromium of this process, the Ray backend on as many workers of a private Ray instance on
this machine, each with a Chromium of its own.  The Ray instance is started before the timed run (as a
cluster started with `ray start --head` would be); its start is timed apart.  The script prints

* wall time of each run, and their ratio (target: at most 1.10);
* the same for the episode phase alone (first episode dispatched to last row written: the workers' and
  the local browser's start-up left out);
* Ray's overhead per episode: the time from handing an episode to a worker until its row is back in the
  driver, less the time the worker spent on the episode (scheduling, serialization, the row's trip);
* the memory of a worker (PSS of its Python process, and of Playwright's driver with its Chromium below it).

Run: ``python bench/ray_overhead.py [--seeds 10] [--parallel 2] [--tasks click-test,click-button,enter-text]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # the private instance on 127.0.0.1 only

from planact.harness.agents import Models  # noqa: E402
from planact.harness.ray_backend import descendants  # noqa: E402
from planact.harness.runner import BenchOptions, Runner  # noqa: E402
from planact.harness.suites import MiniWoB  # noqa: E402


def pss_mb(pid: int) -> float:
    """A process's proportional set size: its own pages, and its share of those it shares (Chromium's processes
    share most of theirs, so their RSS added up counts the same pages several times)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Timeline:
    """When each episode was handed out and when its row came back; the workers' memory, sampled every second
    by a thread of its own (so that sampling delays no episode)."""

    def __init__(self) -> None:
        self.started: dict[tuple, float] = {}
        self.finished: dict[tuple, float] = {}
        self.rows: dict[tuple, dict] = {}
        self.memory: dict[int, tuple[float, float]] = {}  # worker pid -> (python MB, browser MB)
        self.pids: set[int] = set()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def __call__(self, kind: str, row: dict) -> None:
        key = (row["task"], row["seed"])
        now = time.perf_counter()
        if kind == "episode_started":
            self.started.setdefault(key, now)
            if row.get("pid"):
                self.pids.add(row["pid"])
        elif kind == "episode_finished":
            self.finished[key] = now
            self.rows[key] = row

    def _sample(self) -> None:
        while not self.done.wait(1.0):
            for pid in list(self.pids):
                below = sum(pss_mb(p) for p in descendants(pid))
                python, browser = self.memory.get(pid, (0.0, 0.0))
                self.memory[pid] = (max(python, pss_mb(pid)), max(browser, below))

    def phase(self) -> float:
        return max(self.finished.values()) - min(self.started.values())

    def overheads_ms(self) -> list[float]:
        return [
            1000 * (self.finished[k] - self.started[k] - self.rows[k]["seconds"])
            for k in self.rows
            if k in self.started
        ]


def play(tasks: str, seeds: int, parallel: int, out: Path, backend=None) -> tuple[float, Timeline]:
    suite = MiniWoB().open(tasks)
    timeline = Timeline()
    try:
        options = BenchOptions(agents=("replay",), seeds=seeds, parallel=parallel)
        runner = Runner(suite, Models(), options, out, on_event=timeline, backend=backend)
        began = time.perf_counter()
        rows = asyncio.run(runner.run())
        wall = time.perf_counter() - began
    finally:
        timeline.done.set()
        suite.close()
    bad = [r for r in rows if not r["success"]]
    if bad:
        sys.exit(f"{len(bad)} episodes failed, e.g. {bad[0]['task']} seed {bad[0]['seed']}: {bad[0]['error']}")
    return wall, timeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="click-test,click-button,enter-text")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    import ray

    from planact.harness.ray_backend import PRIVATE_OBJECT_STORE_MB, RayBackend, RayOptions

    episodes = len(args.tasks.split(",")) * args.seeds
    with tempfile.TemporaryDirectory(prefix="ray-overhead-") as tmp:
        local_wall, local = play(args.tasks, args.seeds, args.parallel, Path(tmp) / "local")
        began = time.perf_counter()
        ray.init(
            address="local", num_cpus=args.parallel, include_dashboard=False, logging_level="warning",
            object_store_memory=PRIVATE_OBJECT_STORE_MB * 2**20,
        )  # fmt: skip
        cluster_s = time.perf_counter() - began
        try:
            backend = RayBackend(RayOptions(), say=lambda line: print(line, file=sys.stderr))
            ray_wall, on_ray = play(args.tasks, args.seeds, args.parallel, Path(tmp) / "ray", backend)
        finally:
            ray.shutdown()
    overheads = on_ray.overheads_ms()
    print(f"{episodes} MiniWoB++ replay episodes ({args.tasks} x {args.seeds} seeds), {args.parallel} at a time")
    print(f"  local runner      wall {local_wall:6.2f} s   episode phase {local.phase():6.2f} s")
    print(f"  ray backend       wall {ray_wall:6.2f} s   episode phase {on_ray.phase():6.2f} s")
    print(f"  ray instance start      {cluster_s:6.2f} s (once per cluster, not per run)")
    print(f"ratio ray/local, wall (workers' start included): {ray_wall / local_wall:.2f}x  (target <= 1.10x)")
    print(f"ratio ray/local, episode phase:                 {on_ray.phase() / local.phase():.2f}x")
    print(
        f"ray overhead per episode: mean {statistics.mean(overheads):.1f} ms, "
        f"median {statistics.median(overheads):.1f} ms, max {max(overheads):.1f} ms"
    )
    for pid, (python, browser) in sorted(on_ray.memory.items()):
        print(f"worker {pid}: Python {python:.0f} MB + Playwright driver and Chromium {browser:.0f} MB (PSS)")


if __name__ == "__main__":
    main()
