"""`planact train`: fine-tune a planner, replanner or executor model (or one for every role) on chat data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command()
@click.argument("role", type=click.Choice(["planner", "replanner", "executor", "agent"]))
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Chat JSONL (planact synth export writes planner.jsonl, replanner.jsonl, executor.jsonl).")  # fmt: skip
@click.option("--base", default="local", show_default=True,
              help="Base model: local (the shipped SmolLM2 GGUF), a .gguf file, or a Hugging Face model folder.")  # fmt: skip
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Output folder (rerun to resume).")
@click.option("--method", type=click.Choice(["lora", "full"]), default="lora", show_default=True)
@click.option("--lr", "learning_rate", default=2e-4, show_default=True, help="Peak learning rate (cosine schedule).")
@click.option("--epochs", default=3.0, show_default=True)
@click.option("--batch-size", default=4, show_default=True, type=click.IntRange(1))
@click.option("--grad-accum", default=1, show_default=True, type=click.IntRange(1), help="Gradient accumulation steps.")
@click.option("--max-length", default=2048, show_default=True, type=click.IntRange(16),
              help="Tokens per example; longer examples are left out and counted, never cut.")  # fmt: skip
@click.option("--seed", default=0, show_default=True)
@click.option("--lora-r", default=16, show_default=True, type=click.IntRange(1))
@click.option("--lora-alpha", default=32, show_default=True, type=click.IntRange(1))
@click.option("--lora-layers", default=0, show_default=True, type=click.IntRange(0),
              help="LoRA on the top N decoder layers only: the layers below need no backward pass (0: all).")  # fmt: skip
@click.option(
    "--max-steps", default=-1, show_default=True, help="Stop after this many optimiser steps (-1: by epochs)."
)
@click.option(
    "--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True,
    help="bf16 autocast (weights stay float32); auto: where the CPU (AMX, AVX512-BF16) or GPU has fast bf16.",
)  # fmt: skip
@click.option("--save-steps", default=50, show_default=True, type=click.IntRange(1), help="Checkpoint every N steps.")
@click.option("--init", default="", metavar="ADAPTER",
              help="Start from a LoRA adapter (same --lora-r/--lora-alpha/--lora-layers), with a fresh schedule, "
                   "to train it further on the same data or new: a folder `planact train` wrote, an adapter GGUF "
                   "it exported, or a shipped adapter by name (miniwob-agent).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def train(role: str, data: str, base: str, out: str, as_json: bool, **options: Any) -> None:
    """Fine-tune a model on chat data: LoRA by default, full fine-tuning as an option.

    ROLE names the model: planner, replanner or executor, or agent for one adapter
    trained on a mix of every role's examples (the system prompts tell the roles
    apart), served with --model for planner and executor alike.

    Trains on the assistant turns only, prints loss and time per step, checkpoints
    as it goes (running the same command again resumes), then exports the model
    for both of planact's serving routes: a LoRA adapter GGUF for the base GGUF and
    a merged f16 GGUF for llama.cpp (`--model local:OUT`), and a Hugging Face folder
    for vLLM (`--model vllm:OUT/hf`). Needs `pip install 'planact[train]'`.

    \b
    Examples:
      planact synth export data -o data/export
      planact train planner --data data/export/planner.jsonl -o models/planner
      planact exec plan.pa --planner-model local:models/planner
    """
    from ..train.sft import TrainError, TrainSettings
    from ..train.sft import train as run

    settings = TrainSettings(role=role, data=data, base=base, **options)

    def progress(entry: dict[str, Any]) -> None:
        per_step = entry["seconds"] / max(1, entry["step"])
        left = per_step * max(0, entry["steps"] - entry["step"])
        click.echo(
            f"  step {entry['step']}/{entry['steps']}  loss {entry['loss']:.4f}  epoch {entry['epoch']:.2f}  "
            f"{per_step:.1f} s/step  {entry.get('tokens_per_second') or 0:.0f} tokens/s  about {left / 60:.1f} min left",
            err=True,
        )

    try:
        manifest = run(settings, Path(out), progress)
    except TrainError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(manifest, indent=2))
        return
    click.echo(
        f"trained {manifest['steps']} steps on {manifest['examples']} examples"
        + (f" ({manifest['too_long']} longer than --max-length left out)" if manifest["too_long"] else "")
        + f" in {manifest['seconds'] / 60:.1f} min; loss {manifest['first_loss']} -> {manifest['last_loss']}",
        err=True,
    )
    click.echo(
        f"serve it: --model local:{out}" + (f"   or vLLM: --model vllm:{out}/hf" if manifest.get("hf") else ""),
        err=True,
    )
