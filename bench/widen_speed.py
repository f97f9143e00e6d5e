"""How much faster an agent's model call is from the f16 copy of the 4-bit model (planact.models.widen).

Sends the same executor prompts of an exported data set (compact form, as the trained agent sends them) to
the model loaded twice in one process, from the 4-bit file (``widen=False``) and from its f16 copy, taking
turns prompt by prompt, with no prompt cache, so every call evaluates its whole prompt as an agent's call
on a new page does.  Prints the median seconds per call of each, the ratio of the copy to the 4-bit file,
and how many greedy answers were the same.  No timing is asserted anywhere.

Run: ``python bench/widen_speed.py DATA/export-compact [--model local:DIR|local:miniwob-agent] [--prompts 12]``
(write the copy first: ``planact setup --only f16``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from planact.models.local import LocalLlama


def prompts(export: Path, count: int) -> list[list[dict]]:
    """Every n-th executor prompt of the export, ``count`` of them (their pages differ)."""
    with (export / "executor.jsonl").open(encoding="utf-8") as file:
        rows = [json.loads(line)["messages"][:-1] for line in file]
    step = max(1, len(rows) // max(1, count))
    return rows[::step][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="An export folder with executor.jsonl.")
    parser.add_argument("--model", default="local:miniwob-agent", help="A local model spec [local:miniwob-agent].")
    parser.add_argument("--prompts", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    kind, _, path = args.model.partition(":")
    if kind != "local":
        raise SystemExit("--model takes a local model spec (local:NAME or local:PATH)")
    chosen = prompts(args.export, args.prompts)
    if not chosen:
        raise SystemExit(f"no executor prompt in {args.export / 'executor.jsonl'}")
    wide = LocalLlama(path or None, prompt_cache_mb=0)
    if wide.weights == wide.model_path:
        raise SystemExit(f"no f16 copy of {wide.model_path.name}: run `planact setup --only f16` first")
    narrow = LocalLlama(path or None, prompt_cache_mb=0, widen=False)
    models = {"4-bit file": narrow, "f16 copy": wide}
    times: dict[str, list[float]] = {name: [] for name in models}
    answers: dict[str, list[str]] = {name: [] for name in models}
    tokens = []
    for model in models.values():
        model.complete(chosen[0], max_tokens=2)  # warm up: the first call pages the weights in
    for messages in chosen:
        for name, model in models.items():
            started = time.perf_counter()
            completion = model.complete(messages, max_tokens=args.max_tokens)
            times[name].append(time.perf_counter() - started)
            answers[name].append(completion.text.strip())
        tokens.append(completion.usage.prompt_tokens)
    base = statistics.median(times["4-bit file"])
    print(f"{len(chosen)} executor prompts (median {statistics.median(tokens):.0f} tokens), {args.model}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:11} {median:.3f} s median per call  ({median / base:.2f}x the 4-bit file)")
    same = sum(a == b for a, b in zip(answers["4-bit file"], answers["f16 copy"], strict=True))
    print(f"  the same greedy answer: {same} of {len(chosen)}")


if __name__ == "__main__":
    main()
