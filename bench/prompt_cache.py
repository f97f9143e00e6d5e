"""The local model's prompt cache: seconds per call when planner, replanner and executor prompts alternate.

llama.cpp keeps the KV cache of the last prompt only, so an episode whose calls alternate between the
planner's long system prompt and the executor's evaluates each system prompt again at every switch.  With
the prompt cache (``LocalLlama(prompt_cache_mb=...)``, on by default for the full prompts) the state after
each call is kept in memory and the longest cached prefix of the next prompt is restored instead of evaluated.

Replays the prompts of an exported data set (``planact synth export`` / ``bench/paper_table.py``) in the
order an episode of the dynamic agent sends them — planner, executor, replanner, executor, ... — with the
cache off and on in the same process, same model and same answers (greedy, a few tokens each), and prints
seconds per call of both and their ratio.

Run: ``python bench/prompt_cache.py DATA/export [--episodes 4] [--tokens 8]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from planact.models.local import LocalLlama


def first_lines(path: Path, count: int) -> list[list[dict]]:
    rows = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            rows.append(json.loads(line)["messages"][:-1])  # the prompt, without the answer
            if len(rows) == count:
                break
    return rows


def sequence(export: Path, episodes: int) -> list[list[dict]]:
    """Prompts in a dynamic episode's order: plan, then (execute, replan) twice, per episode."""
    planner = first_lines(export / "planner.jsonl", episodes)
    executor = first_lines(export / "executor.jsonl", 2 * episodes)
    replanner = first_lines(export / "replanner.jsonl", 2 * episodes)
    calls = []
    for i in range(episodes):
        calls += [planner[i], executor[2 * i], replanner[2 * i], executor[2 * i + 1], replanner[2 * i + 1]]
    return calls


def timed(model: LocalLlama, calls: list[list[dict]], tokens: int) -> tuple[float, list[str]]:
    answers = []
    started = time.perf_counter()
    for messages in calls:
        answers.append(model.complete(messages, max_tokens=tokens).text)
    return (time.perf_counter() - started) / len(calls), answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="A folder planact synth export wrote.")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=8, help="Tokens generated per call.")
    args = parser.parse_args()
    calls = sequence(args.export, args.episodes)
    off = LocalLlama(prompt_cache_mb=0)
    on = LocalLlama(prompt_cache_mb=512)  # a model of its own: the cache size is part of its key
    timed(off, calls[:1], args.tokens)  # warm-up: page the weights in
    seconds_off, answers_off = timed(off, calls, args.tokens)
    seconds_on, answers_on = timed(on, calls, args.tokens)
    same = sum(a == b for a, b in zip(answers_off, answers_on, strict=True))
    print(f"{len(calls)} calls ({args.episodes} episodes: plan, then execute and replan twice)")
    print(f"  prompt cache off: {seconds_off:.2f} s per call")
    print(f"  prompt cache on:  {seconds_on:.2f} s per call")
    print(f"  ratio on/off: {seconds_on / seconds_off:.2f}; the same answer in {same} of {len(calls)} calls")


if __name__ == "__main__":
    main()
