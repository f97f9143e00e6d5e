"""Where an agent's episode time goes: model calls (by purpose: plan, ground, replan) against the rest (the
browser, observing pages, the runner), from the run records of a `planact bench` folder.

Reads OUT/results.jsonl and each row's run record (events.jsonl: every ``model_call`` event carries its
latency and tokens), and prints per agent: median and mean seconds per episode, the share of that spent in
model calls, seconds per call and completion tokens per call by purpose, and the same for the successful
episodes only.  No timing is asserted anywhere: this is the measurement the issue's latency target is
read from (median wall time of a trained episode).

Run: ``python bench/episode_time.py BENCH_FOLDER [--agent dynamic] [--json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from planact.run.modes import agent_label


def events(record: str | None, folder: Path = Path(".")) -> list[dict]:
    """A run record's events; a record written as a path relative to where the run was started (before
    planact wrote absolute ones) is looked for beside the bench folder too."""
    if not record:
        return []
    found = [p for p in (Path(record), folder.parent / record, folder / record) if (p / "events.jsonl").is_file()]
    if not found:
        return []
    path = found[0] / "events.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a killed run
    return out


def episode(row: dict, folder: Path = Path(".")) -> dict:
    """One episode's seconds, and its model calls' seconds, count and completion tokens per purpose."""
    calls: dict[str, list[tuple[float, int]]] = {}
    for event in events(row.get("record"), folder):
        if event.get("event") == "model_call":
            calls.setdefault(event["purpose"], []).append((event["latency_ms"] / 1000, event["completion_tokens"]))
    return {"seconds": float(row.get("seconds") or 0), "success": bool(row.get("success")), "calls": calls}


def summary(episodes: list[dict]) -> dict:
    if not episodes:
        return {}
    seconds = [e["seconds"] for e in episodes]
    model = [sum(s for calls in e["calls"].values() for s, _ in calls) for e in episodes]
    purposes: dict[str, list[tuple[float, int]]] = {}
    for e in episodes:
        for purpose, calls in e["calls"].items():
            purposes.setdefault(purpose, []).extend(calls)
    return {
        "episodes": len(episodes),
        "median_s": round(statistics.median(seconds), 2),
        "mean_s": round(statistics.fmean(seconds), 2),
        "model_share": round(sum(model) / max(sum(seconds), 1e-9), 3),
        "median_model_s": round(statistics.median(model), 2),
        "per_purpose": {
            purpose: {
                "calls_per_episode": round(len(calls) / len(episodes), 2),
                "median_call_s": round(statistics.median(s for s, _ in calls), 3),
                "mean_call_s": round(statistics.fmean(s for s, _ in calls), 3),
                "mean_completion_tokens": round(statistics.fmean(t for _, t in calls), 1),
            }
            for purpose, calls in sorted(purposes.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="A `planact bench -o` folder (results.jsonl and run records).")
    parser.add_argument("--agent", help="Only this agent's episodes [every agent, each on its own].")
    parser.add_argument("--json", action="store_true", help="Print JSON.")
    args = parser.parse_args()
    results = args.folder / "results.jsonl"
    if not results.is_file():
        raise SystemExit(f"no results.jsonl in {args.folder}: give a folder `planact bench -o` wrote")
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = {}
    by_agent: dict[str, list[dict]] = {}  # dynamic/after-reads apart from dynamic
    for r in rows:
        if not args.agent or r["agent"] == args.agent:
            by_agent.setdefault(agent_label(r["agent"], r.get("replan")), []).append(r)
    for agent in sorted(by_agent):
        eps = [episode(r, args.folder) for r in by_agent[agent]]
        report[agent] = {"all": summary(eps), "successful": summary([e for e in eps if e["success"]])}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for agent, parts in report.items():
        for part, s in parts.items():
            if not s:
                continue
            print(f"{agent} ({part}, {s['episodes']} episodes): median {s['median_s']} s, mean {s['mean_s']} s; "
                  f"model calls {s['model_share']:.0%} of the time (median {s['median_model_s']} s an episode)")  # fmt: skip
            for purpose, p in s["per_purpose"].items():
                print(f"  {purpose:7} {p['calls_per_episode']:5} calls/episode, {p['median_call_s']} s median "
                      f"({p['mean_call_s']} mean), {p['mean_completion_tokens']} completion tokens")  # fmt: skip


if __name__ == "__main__":
    main()
