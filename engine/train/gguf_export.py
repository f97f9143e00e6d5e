"""Write a trained Llama-architecture model back as GGUF for llama.cpp (planact's local backend).

Two files, written with the ``gguf`` package (no llama.cpp scripts needed):

- a whole model (:func:`write_model`): hyper-parameters from the Hugging Face config,
  the tokenizer copied field by field from a GGUF that already has it (the base
  model's own file), weights as f16 (norms f32);
- a LoRA adapter (:func:`write_lora`) for the unchanged base GGUF: llama.cpp applies
  it at load time (``Llama(model_path=base, lora_path=adapter)``), so the shipped
  quantised base keeps its size and speed.  (Merging a LoRA into the weights and
  quantising back to 4 bits erases a small fine-tune; an adapter does not.)

llama.cpp stores the rows of the query and key projections in another order than
Hugging Face (rotary halves interleaved per head): :func:`to_gguf_rows` reorders
them, for whole weights and for a LoRA's B matrix (its output side) alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ARCH = "llama"

# Hugging Face parameter names (inside model.layers.N.) -> llama.cpp tensor names (blk.N.)
_LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_TOP_NAMES = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}


class ExportError(Exception):
    """The model cannot be written as GGUF (an architecture other than Llama, no tokenizer source)."""


def gguf_name(hf_module: str) -> str | None:
    """The llama.cpp name of a Hugging Face module (``model.layers.3.self_attn.q_proj`` -> ``blk.3.attn_q``)."""
    if hf_module in _TOP_NAMES:
        return _TOP_NAMES[hf_module]
    parts = hf_module.split(".")
    if len(parts) >= 4 and parts[0] == "model" and parts[1] == "layers":
        short = _LAYER_NAMES.get(".".join(parts[3:]))
        return None if short is None else f"blk.{parts[2]}.{short}"
    return None


def to_gguf_rows(weight: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder the output rows of a query/key projection from Hugging Face's layout to llama.cpp's."""
    rows = weight.shape[0]
    return weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def _heads(config: Any, short: str) -> int | None:
    if short == "attn_q":
        return int(config.num_attention_heads)
    if short == "attn_k":
        return int(config.num_key_value_heads or config.num_attention_heads)
    return None


def _check(config: Any) -> None:
    if getattr(config, "model_type", None) != "llama":
        raise ExportError(f"GGUF export knows the Llama architecture, not {getattr(config, 'model_type', '?')!r}")


def _writer(path: Path, config: Any, tokenizer_gguf: Path | None, general_type: str) -> Any:
    import gguf

    writer = gguf.GGUFWriter(str(path), ARCH)
    writer.add_type(general_type)
    if general_type == "model":
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        rope = getattr(config, "rope_parameters", None) or {}
        writer.add_context_length(int(config.max_position_embeddings))
        writer.add_embedding_length(int(config.hidden_size))
        writer.add_block_count(int(config.num_hidden_layers))
        writer.add_feed_forward_length(int(config.intermediate_size))
        writer.add_head_count(int(config.num_attention_heads))
        writer.add_head_count_kv(int(config.num_key_value_heads or config.num_attention_heads))
        writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))))
        writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
        writer.add_rope_dimension_count(int(head_dim))
        writer.add_vocab_size(int(config.vocab_size))
        writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
        if tokenizer_gguf is None:
            raise ExportError("a GGUF model needs its tokenizer: the base must be a GGUF file (or name one)")
        _copy_tokenizer(writer, tokenizer_gguf)
    return writer


def _copy_tokenizer(writer: Any, source: Path) -> None:
    """Copy every ``tokenizer.*`` field (vocabulary, merges, special ids, chat template) from ``source``."""
    import gguf

    reader = gguf.GGUFReader(str(source))
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), kind, sub_type=sub)


def _finish(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_model(model: Any, tokenizer_gguf: Path | None, path: Path) -> Path:
    """The whole (merged) model as an f16 GGUF at ``path``."""
    config = model.config
    _check(config)
    writer = _writer(path, config, tokenizer_gguf, "model")
    tied = bool(getattr(config, "tie_word_embeddings", False))
    for hf_name, tensor in model.state_dict().items():
        module, _, kind = hf_name.rpartition(".")
        short = gguf_name(module)
        if short is None or kind != "weight" or (tied and short == "output"):
            continue
        data = tensor.detach().float().cpu().numpy()
        heads = _heads(config, short.split(".")[-1])
        if heads is not None:
            data = to_gguf_rows(data, heads)
        writer.add_tensor(f"{short}.weight", data.astype(np.float32 if data.ndim == 1 else np.float16))
    _finish(writer)
    return path


def write_lora(peft_model: Any, path: Path) -> Path:
    """The LoRA adapter of a PEFT model as a llama.cpp adapter GGUF at ``path`` (f32 A and B matrices)."""
    config = peft_model.get_base_model().config
    _check(config)
    lora = peft_model.peft_config["default"]
    if getattr(lora, "use_rslora", False) or getattr(lora, "use_dora", False):
        raise ExportError("llama.cpp adapters are plain LoRA: train without rsLoRA or DoRA to export one")
    writer = _writer(path, config, None, "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(lora.lora_alpha))
    written = 0
    for hf_name, tensor in peft_model.state_dict().items():
        if ".lora_A." not in hf_name and ".lora_B." not in hf_name:
            continue
        side = "lora_a" if ".lora_A." in hf_name else "lora_b"
        module = hf_name.split(".lora_")[0].removeprefix("base_model.model.")
        short = gguf_name(module)
        if short is None:
            raise ExportError(f"no llama.cpp tensor for the LoRA module {module}")
        data = tensor.detach().float().cpu().numpy()
        heads = _heads(config, short.split(".")[-1])
        if heads is not None and side == "lora_b":
            data = to_gguf_rows(data, heads)
        writer.add_tensor(f"{short}.weight.{side}", data.astype(np.float32))
        written += 1
    if not written:
        raise ExportError("the model has no LoRA weights to export")
    _finish(writer)
    return path


def from_gguf_rows(weight: np.ndarray, n_head: int) -> np.ndarray:
    """The inverse of :func:`to_gguf_rows`: llama.cpp's row order of a query/key projection back to Hugging Face's."""
    rows = weight.shape[0]
    return weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


_HF_LAYER_NAMES = {short: hf for hf, short in _LAYER_NAMES.items()}


class LoraFile:
    """A llama.cpp LoRA adapter GGUF read back (what :func:`write_lora` wrote): its alpha, rank, the decoder layers
    and modules it adapts, and its A and B matrices by Hugging Face module (``model.layers.22.self_attn.q_proj``)."""

    def __init__(self, path: Path) -> None:
        import gguf

        try:
            reader = gguf.GGUFReader(str(path))
        except Exception as err:  # the reader raises what its parse hits first (ValueError, IndexError, ...)
            raise ExportError(f"{path}: not a readable GGUF file ({err})") from None
        fields = {name: field.contents() for name, field in reader.fields.items() if not name.startswith("tokenizer.")}
        if fields.get("general.type") != "adapter" or fields.get("adapter.type") != "lora":
            raise ExportError(f"{path}: not a LoRA adapter GGUF (general.type {fields.get('general.type')!r})")
        if fields.get("general.architecture") != ARCH:
            raise ExportError(f"{path}: an adapter for {fields.get('general.architecture')!r}, not {ARCH!r}")
        self.alpha = float(fields.get("adapter.lora.alpha", 0.0))
        self.matrices: dict[tuple[str, str], np.ndarray] = {}  # (HF module, "lora_a" | "lora_b") -> matrix
        for tensor in reader.tensors:
            short, _, side = tensor.name.rpartition(".weight.")
            parts = short.split(".")
            module = _HF_LAYER_NAMES.get(parts[-1]) if len(parts) == 3 and parts[0] == "blk" else None
            if side not in ("lora_a", "lora_b") or module is None or not parts[1].isdigit():
                raise ExportError(f"{path}: tensor {tensor.name} is not a LoRA matrix of a decoder layer")
            self.matrices[(f"model.layers.{parts[1]}.{module}", side)] = np.array(tensor.data, dtype=np.float32)
        if not self.matrices:
            raise ExportError(f"{path}: the adapter holds no LoRA matrices")
        self.rank = int(next(m for (_, side), m in self.matrices.items() if side == "lora_a").shape[0])
        self.layers = sorted({int(module.split(".")[2]) for module, _ in self.matrices})
        self.modules = sorted({module.split(".")[-1] for module, _ in self.matrices})

    def load_into(self, peft_model: Any) -> int:
        """Copy the matrices into a PEFT LoRA model of the same shape; the number of tensors copied.  Every LoRA
        tensor of the model must have its matrix here, of the same shape, and every matrix here a tensor."""
        import torch

        config = peft_model.get_base_model().config
        left = dict(self.matrices)
        with torch.no_grad():
            for name, param in peft_model.named_parameters():
                if ".lora_A." not in name and ".lora_B." not in name:
                    continue
                module = name.split(".lora_")[0].removeprefix("base_model.model.")
                side = "lora_a" if ".lora_A." in name else "lora_b"
                matrix = left.pop((module, side), None)
                if matrix is None:
                    raise ExportError(f"the adapter has no {side} matrix for {module}")
                heads = _heads(config, (gguf_name(module) or "").split(".")[-1])
                if heads is not None and side == "lora_b":
                    matrix = from_gguf_rows(matrix, heads)
                if tuple(matrix.shape) != tuple(param.shape):
                    raise ExportError(
                        f"{module} {side}: the adapter's {matrix.shape} is not the model's {tuple(param.shape)}"
                    )
                param.copy_(torch.from_numpy(np.ascontiguousarray(matrix)))
        if left:
            raise ExportError(
                f"the model has no LoRA for {len(left)} of the adapter's matrices ({next(iter(left))[0]}, ...)"
            )
        return len(self.matrices)
