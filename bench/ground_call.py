"""What one executor (grounding) call of the local model costs, and what part of it is the page grammar.

Replays executor prompts of an exported data set (compact form, as the trained agent sends them) through
the local model in one process, each prompt four ways, in the same order every round:

- ``free, prompt new``: no grammar, the prompt evaluated (the first call of it);
- ``free``: no grammar, the prompt restored from the prompt cache (so are the two below);
- ``page, compiled``: the page's reply grammar (targets limited to the page), compiled beforehand;
- ``page, new``: the same grammar compiled as part of the call, as the engine does for a page it has not
  seen (every new observation is a new grammar);

and prints the median seconds per call of each, their ratios to ``free``, and the compile time alone.
The answers are greedy and short (an action), so what is measured is the prompt's evaluation, the
grammar's sampling cost and its compilation.  No timing is asserted anywhere.

Run: ``python bench/ground_call.py DATA/export-compact [--model local:DIR] [--prompts 12]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from planact.models import local
from planact.models.config import load_model
from planact.run.grounding import references
from planact.syntax.decoding import page_reply_grammar


def prompts(export: Path, count: int) -> list[list[dict]]:
    out = []
    with (export / "executor.jsonl").open(encoding="utf-8") as file:
        for line in file:
            messages = json.loads(line)["messages"][:-1]
            if "[ref=" in messages[-1]["content"]:
                out.append(messages)
            if len(out) == count:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="An export folder with executor.jsonl (compact prompts).")
    parser.add_argument("--model", default="local:miniwob-agent", help="The model spec [local:miniwob-agent].")
    parser.add_argument("--prompts", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    model = load_model(args.model, role="executor", default="local")
    chosen = prompts(args.export, args.prompts)
    if not chosen:
        raise SystemExit(f"no executor prompt with a page in {args.export / 'executor.jsonl'}")
    times: dict[str, list[float]] = {"free, prompt new": [], "free": [], "page, compiled": [], "page, new": []}
    compile_s: list[float] = []
    model.complete(chosen[0], max_tokens=4)  # warm up: the model's first call loads its weights into cache
    for messages in chosen:
        grammar = page_reply_grammar(references(messages[-1]["content"]), one=True)
        local._GRAMMARS.pop(grammar.gbnf, None)
        started = time.perf_counter()
        local._compile_grammar(model._llama, grammar)
        compile_s.append(time.perf_counter() - started)
        for kind in times:
            if kind == "page, new":
                local._GRAMMARS.pop(grammar.gbnf, None)
            started = time.perf_counter()
            free = kind.startswith("free")
            model.complete(messages, grammar=None if free else grammar, max_tokens=args.max_tokens)
            times[kind].append(time.perf_counter() - started)
    base = statistics.median(times["free"])
    print(f"{len(chosen)} executor prompts, {args.model}")
    for kind, values in times.items():
        median = statistics.median(values)
        print(f"  {kind:15} {median:.3f} s median per call  ({median / base:.2f}x free)")
    print(f"  compiling the page grammar alone: {statistics.median(compile_s):.3f} s median")


if __name__ == "__main__":
    main()
