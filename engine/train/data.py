"""Chat-format training data (what `planact synth export` writes), tokenised for supervised fine-tuning.

Each line is ``{"messages": [..., {"role": "assistant", "content": ...}]}``.  The
prompt is rendered with the model's own chat template, and the loss is taken on
the last assistant turn only (the plan or the actions), never on the prompt.
An example longer than ``max_length`` tokens is left out and counted — never cut
(a plan cut in half teaches a model to write plans that do not parse).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORE = -100  # the label of a token the loss skips


class DataError(Exception):
    """A data file that cannot be used; the message names the file and line."""


def read_chats(path: Path) -> list[list[dict[str, str]]]:
    """The conversations of a chat JSONL file; DataError names the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read: {err}") from None
    chats = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise DataError(f'{path}:{number}: not a chat example (a JSON object with "messages")') from None
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in messages)
            or messages[-1]["role"] != "assistant"
        ):
            raise DataError(f"{path}:{number}: messages must be role/content objects ending with the assistant's turn")
        chats.append([{"role": m["role"], "content": str(m["content"])} for m in messages])
    if not chats:
        raise DataError(f"{path}: no examples")
    return chats


@dataclass
class Tokenised:
    """Examples ready for training, and what was left out."""

    examples: list[dict[str, list[int]]] = field(default_factory=list)
    too_long: int = 0
    longest: int = 0


def tokenise(chats: list[list[dict[str, str]]], tokenizer: Any, max_length: int) -> Tokenised:
    out = Tokenised()
    for messages in chats:
        prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
        whole = tokenizer.apply_chat_template(messages, tokenize=False)
        if not whole.startswith(prompt):
            raise DataError("the chat template renders the prompt differently alone and with the answer")
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = tokenizer(whole, add_special_tokens=False)["input_ids"]
        out.longest = max(out.longest, len(ids))
        if len(ids) > max_length:
            out.too_long += 1
            continue
        labels = [IGNORE] * len(prompt_ids) + ids[len(prompt_ids) :]
        out.examples.append({"input_ids": ids, "labels": labels})
    return out


def collate(pad_id: int) -> Any:
    """A batch: sequences padded on the right, padding masked from attention and loss."""
    import torch

    def batch(items: list[dict[str, list[int]]]) -> dict[str, Any]:
        width = max(len(i["input_ids"]) for i in items)
        ids = [i["input_ids"] + [pad_id] * (width - len(i["input_ids"])) for i in items]
        labels = [i["labels"] + [IGNORE] * (width - len(i["labels"])) for i in items]
        mask = [[1] * len(i["input_ids"]) + [0] * (width - len(i["input_ids"])) for i in items]
        return {
            "input_ids": torch.tensor(ids),
            "labels": torch.tensor(labels),
            "attention_mask": torch.tensor(mask),
        }

    return batch
