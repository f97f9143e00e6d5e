"""Training speed of `planact train` on this machine: tokens per second of the ways to take a step.

One base model (the shipped SmolLM2-135M), one batch of real examples (a chat JSONL, e.g. what
`planact synth generate` exports), and, in the same process and in turns, an optimiser step:

- ``full-logits``: the model's own loss, which projects every position onto the vocabulary (the baseline);
- ``answer-logits``: planact's loss, which projects the answer's positions only (same loss and gradients);
- ``answer-logits, top N layers``: LoRA on the top N decoder layers only (``--lora-layers N``).

Prints tokens per second, seconds per step, and each variant's ratio to the baseline (median of paired
rounds).  Run: ``python bench/train_speed.py DATA.jsonl [--rounds 3] [--batch 4] [--top 8]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from planact.train.data import IGNORE, collate, read_chats, tokenise
from planact.train.sft import LORA_TARGETS, load_base, use_bf16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--top", type=int, default=8, help="top layers for the last variant")
    args = parser.parse_args()

    import peft
    import torch

    torch.manual_seed(0)
    model, tokenizer, _ = load_base("local")
    data = tokenise(read_chats(args.data), tokenizer, 2048)
    batch = collate(tokenizer.pad_token_id)(data.examples[: args.batch])
    tokens = int(batch["attention_mask"].sum())
    layers = model.config.num_hidden_layers
    bf16 = use_bf16("auto")

    def wrapped(top: int | None):
        extra = {"layers_to_transform": list(range(layers - top, layers))} if top else {}
        config = peft.LoraConfig(r=16, lora_alpha=32, target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM", **extra)
        return peft.get_peft_model(model, config)

    def full_loss(m):
        return m(**batch).loss

    def answer_loss(m):
        causal = m.get_base_model()
        hidden = causal.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        targets = batch["labels"][:, 1:]
        keep = targets != IGNORE
        return torch.nn.functional.cross_entropy(causal.lm_head(hidden[:, :-1][keep]).float(), targets[keep])

    variants = {
        "full-logits (baseline)": (None, full_loss),
        "answer-logits": (None, answer_loss),
        f"answer-logits, top {args.top} layers": (args.top, answer_loss),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (top, loss_of) in variants.items():
            m = wrapped(top)
            optimiser = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4)
            started = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_of(m)
            loss.backward()
            optimiser.step()
            seconds[name].append(time.perf_counter() - started)
            m.unload()  # the base model without this variant's LoRA layers, for the next one
    base = seconds["full-logits (baseline)"]
    print(f"{args.batch} examples, {tokens} tokens a step, bf16 {'on' if bf16 else 'off'}, {args.rounds} rounds")
    print(f"{'variant':36} {'s/step':>8} {'tokens/s':>9} {'time / baseline':>16}")
    for name, times in seconds.items():
        ratio = statistics.median(t / b for t, b in zip(times, base, strict=True))
        median = statistics.median(times)
        print(f"{name:36} {median:8.1f} {tokens / median:9.0f} {ratio:16.2f}")


if __name__ == "__main__":
    main()
