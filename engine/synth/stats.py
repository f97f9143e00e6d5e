"""`planact synth stats`: honest numbers about a synth folder."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any

from ..run.records import read_jsonl
from .expand import CALLS, PAIRS
from .export import FILES, REPLANS
from .ground import LEDGER, kept


def _spread(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"mean": None, "min": None, "max": None}
    return {"mean": round(mean(values), 2), "min": min(values), "max": max(values)}


def _kind(reason: str) -> str:
    """A reason's category: its text before the first colon."""
    return reason.split(":")[0].split(" (")[0].strip()


def stats(synth: Path) -> dict[str, Any]:
    entries = read_jsonl(synth / LEDGER)
    plans = kept(synth)
    rejections = [r for e in entries for r in e.get("rejections", [])]
    # a teacher answer that passed every check became a plan (kept, or dropped later by its replay)
    answered = [
        e for e in entries if e.get("kept") or (e.get("reason") or "").startswith(("the replay", "cannot replay"))
    ]
    answers = len(rejections) + len(answered)
    lint = sum(r.startswith("the plan does not lint clean") for r in rejections)
    replayed = [e for e in entries if e.get("replayed") is not None]
    dropped: dict[str, int] = {}
    for e in entries:
        if not e.get("kept"):
            dropped[_kind(e.get("reason") or "?")] = dropped.get(_kind(e.get("reason") or "?"), 0) + 1
    calls = read_jsonl(synth / CALLS)
    expand_rejected: dict[str, int] = {}
    for c in calls:
        for r in c.get("rejected", []):
            expand_rejected[_kind(r["reason"])] = expand_rejected.get(_kind(r["reason"]), 0) + 1
    expanded = len(read_jsonl(synth / PAIRS))
    offered = expanded + sum(expand_rejected.values())
    return {
        "trajectories": len(entries),
        "grounded_kept": len(plans),
        "grounded_dropped": dropped,
        "teacher_answers": answers,
        "teacher_rejections": len(rejections),
        "lint_reject_rate": round(lint / answers, 3) if answers else None,
        "reject_rate": round(len(rejections) / answers, 3) if answers else None,
        "replayed": len(replayed),
        "replay_success_rate": round(sum(bool(e["replayed"]) for e in replayed) / len(replayed), 3)
        if replayed
        else None,
        "steps_per_plan": _spread([len(p.steps) for _, p, _ in plans]),
        "actions_per_step": _spread([len(s.actions or ()) for _, p, _ in plans for s in p.steps]),
        "replanning_examples": len(read_jsonl(synth / REPLANS)),
        "executor_examples": sum(t.page_before(i) is not None for _, _, t in plans for i in range(len(t.actions))),
        "expansion_calls": len(calls),
        "expanded_pairs": expanded,
        "expansion_rejected": expand_rejected,
        "expansion_reject_rate": round(sum(expand_rejected.values()) / offered, 3) if offered else None,
    }


EXPORT_ROLES = tuple(name.removesuffix(".jsonl") for name in FILES)  # the files `synth export` writes
_PAGE = re.compile(r"(?:Page |Start page \()(?P<url>https?://\S+?)[ ,\n]")


def _tokenizer() -> tuple[Callable[[str], int], bool]:
    """A token counter for the default local model (its own vocabulary) and True; or an estimate and False."""
    from ..models.local import _llama_cpp_messages, default_model_path

    path = default_model_path()
    try:
        import llama_cpp

        if path is None:
            raise ImportError
        with _llama_cpp_messages():
            vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    except Exception:  # no llama.cpp or no model file: about 3.6 characters per token in these prompts
        return (lambda text: round(len(text) / 3.6)), False
    return (lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))), True


def export_stats(export: Path) -> dict[str, Any]:
    """Per role of an export folder: examples, their token lengths (prompt and answer), and examples per
    start page (for MiniWoB++ the task)."""
    from urllib.parse import urlsplit

    count, exact = _tokenizer()
    roles: dict[str, Any] = {}
    for path in sorted(export.glob("*.jsonl")):
        lengths, answers, pages = [], [], Counter()
        for example in read_jsonl(path):
            messages = example.get("messages") or []
            if not messages:
                continue
            lengths.append(sum(count(m.get("content", "")) for m in messages) + 5 * len(messages))
            answers.append(count(messages[-1].get("content", "")))
            found = _PAGE.search(messages[1].get("content", "")) if len(messages) > 1 else None
            pages[urlsplit(found["url"]).path.rsplit("/", 1)[-1] if found else "?"] += 1
        ordered = sorted(lengths)
        roles[path.stem] = {
            "examples": len(lengths),
            "tokens": {**_spread(lengths), "median": ordered[len(ordered) // 2] if ordered else None},
            "answer_tokens": _spread(answers),
            "over_1536_tokens": sum(n > 1536 for n in lengths),
            "per_page": dict(pages.most_common()),
        }
    return {"tokens_counted_by": "the local model's vocabulary" if exact else "estimate (characters / 3.6)", **roles}
