"""How fast the local model answers an agent's calls, served from the 4-bit file or a 16-bit copy of it
(planact.models.widen), with or without flash attention and the prompt cache.

Sends the same prompts to the model loaded several ways in one process, taking turns call by call, and
prints the median and mean seconds per call of each way, the ratio to the first (the 4-bit file), and how
many greedy answers were the same as the first way's.  The ways:

- ``4-bit file``: ``widen=False``, no flash attention, no prompt cache (the baseline);
- ``f16 copy``: the f16 copy, no flash attention, no prompt cache;
- ``f16 copy, cache``: the same with a 256 MB prompt cache (what served a compact-prompt model before);
- ``bf16 copy``: the bf16 copy, no flash attention, no prompt cache;
- ``bf16 copy, flash``: the same with flash attention (with the f16 copy where the CPU has no AVX512-BF16:
  the default way to serve a compact-prompt model);

Two sources of prompts:

- ``DATA/export-compact`` (an export folder): every n-th executor prompt, no prompt cache involved, so
  every call evaluates its whole prompt, as an agent's call on a new page does;
- ``--sequence RUNDIR`` (a ``planact bench`` results folder): every model call of some episodes, in the
  order they were sent, two episodes interleaved as ``--parallel 2`` sends them, so each way reuses what
  its model state or prompt cache holds, as in a benchmark run.

A copy that is not written yet is written to planact's cache first (about 250 MB, a minute).  No timing is
asserted anywhere.

Run: ``python bench/widen_speed.py DATA/export-compact [--model local:miniwob-agent] [--prompts 12]`` or
``python bench/widen_speed.py --sequence RUNDIR [--episodes 10]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from pathlib import Path

from planact.models import local
from planact.models.local import LocalLlama
from planact.models.widen import widen

SAME_AS = ("4-bit file", "f16 copy")  # the ways each way's answers are compared with


def export_prompts(export: Path, count: int) -> list[list[dict]]:
    """Every n-th executor prompt of the export, ``count`` of them (their pages differ)."""
    with (export / "executor.jsonl").open(encoding="utf-8") as file:
        rows = [json.loads(line)["messages"][:-1] for line in file]
    step = max(1, len(rows) // max(1, count))
    return rows[::step][:count]


def sequence_prompts(folder: Path, episodes: int) -> list[list[dict]]:
    """The model calls of ``episodes`` episodes (spread over the folder), two at a time interleaved."""
    logs = sorted(folder.glob("**/events.jsonl"))
    logs = logs[:: max(1, len(logs) // max(1, episodes))][:episodes]
    calls = []
    for log in logs:
        with log.open(encoding="utf-8") as file:
            events = [json.loads(line) for line in file]
        calls.append([event["messages"] for event in events if event.get("event") == "model_call"])
    out = []
    for first, second in zip(calls[::2], calls[1::2] + [[]], strict=False):
        for a, b in itertools.zip_longest(first, second):
            out.extend(m for m in (a, b) if m)
    return out


def load(path: str | None, kind: str | None, flash: bool, cache_mb: int) -> LocalLlama:
    """The model served as asked: ``kind`` None for the 4-bit file, else that copy (written if missing)."""
    if kind is None:
        return LocalLlama(path, prompt_cache_mb=cache_mb, widen=False, flash_attention=flash)
    source = LocalLlama(path, prompt_cache_mb=0, widen=False, flash_attention=False).model_path
    widen(source, kind=kind)
    previous = os.environ.get("PLANACT_WIDEN")
    os.environ["PLANACT_WIDEN"] = kind
    try:
        model = LocalLlama(path, prompt_cache_mb=cache_mb, flash_attention=flash)
    finally:
        if previous is None:
            os.environ.pop("PLANACT_WIDEN", None)
        else:
            os.environ["PLANACT_WIDEN"] = previous
    if model.weights == model.model_path:
        raise SystemExit(f"the {kind} copy of {source.name} did not load")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, nargs="?", help="An export folder with executor.jsonl.")
    parser.add_argument("--sequence", type=Path, help="A planact bench results folder: replay its episodes' calls.")
    parser.add_argument("--model", default="local:miniwob-agent", help="A local model spec [local:miniwob-agent].")
    parser.add_argument("--prompts", type=int, default=12, help="Executor prompts from the export [12].")
    parser.add_argument("--episodes", type=int, default=10, help="Episodes replayed with --sequence [10].")
    parser.add_argument("--max-tokens", type=int, default=24)
    args = parser.parse_args()
    kind, _, path = args.model.partition(":")
    if kind != "local":
        raise SystemExit("--model takes a local model spec (local:NAME or local:PATH)")
    if (args.export is None) == (args.sequence is None):
        raise SystemExit("give an export folder or --sequence RUNDIR (one of them)")
    chosen = (
        sequence_prompts(args.sequence, args.episodes) if args.sequence else export_prompts(args.export, args.prompts)
    )
    if not chosen:
        raise SystemExit(f"no prompts found in {args.sequence or args.export}")
    ways = {
        "4-bit file": (None, False, 0),
        "f16 copy": ("f16", False, 0),
        "f16 copy, cache": ("f16", False, local.PROMPT_CACHE_MB),
        "bf16 copy": ("bf16", False, 0),
        "bf16 copy, flash": ("bf16", True, 0),
    }
    models = {name: load(path or None, *way) for name, way in ways.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    answers: dict[str, list[str]] = {name: [] for name in models}
    tokens = []
    for model in models.values():
        model.complete(chosen[0], max_tokens=2)  # warm up: the first call pages the weights in
        model._llama.reset()
    for messages in chosen:
        for name, model in models.items():
            started = time.perf_counter()
            completion = model.complete(messages, max_tokens=args.max_tokens)
            times[name].append(time.perf_counter() - started)
            answers[name].append(completion.text.strip())
        tokens.append(completion.usage.prompt_tokens)
    source = f"calls of {args.episodes} episodes in order" if args.sequence else "executor prompts"
    print(f"{len(chosen)} {source} (median {statistics.median(tokens):.0f} prompt tokens), {args.model}")
    base = statistics.mean(times["4-bit file"])
    for name, values in times.items():
        mean = statistics.mean(values)
        same = [sum(a == b for a, b in zip(answers[other], answers[name], strict=True)) for other in SAME_AS]
        print(
            f"  {name:17} {statistics.median(values):.3f} s median, {mean:.3f} s mean per call"
            f"  ({mean / base:.2f}x the 4-bit file's mean; the same greedy answer as the 4-bit file"
            f" {same[0]} of {len(chosen)}, as the f16 copy {same[1]})"
        )


if __name__ == "__main__":
    main()
