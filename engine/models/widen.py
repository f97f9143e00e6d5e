"""An f16 copy of a 4-bit GGUF model: the same weights, evaluated faster on this kind of CPU.

llama.cpp multiplies a 4-bit (Q4_0/Q4_1) matrix by first quantising the activations to 8 bits; for a
135M model on two cores that costs more than it saves, and the prompt of an agent's call (hundreds of
tokens of page) is evaluated about 1.6 times faster from f16 weights (``bench/widen_speed.py``).  The
f16 values are the 4-bit ones decoded, so the model computes the same function (with activations kept in
f16 rather than rounded to 8 bits), and a LoRA adapter made for the 4-bit file (every
trained planact model and shipped adapter) applies to the copy unchanged.

The copy (about 245 MB for SmolLM2-135M) is written once, by ``planact setup`` or
``planact setup --only f16``, to planact's cache folder; :func:`widened` finds it, and the local backend
loads it in place of the 4-bit file when it is there.  Nothing is written at serving time.

A copy can also have a LoRA adapter folded in (``widen(source, lora=...)``: each adapted matrix becomes
``W + alpha/rank * B @ A``, the product llama.cpp otherwise adds at every call).  A call then costs what a
call of the plain model costs: llama.cpp applies an adapter as extra matrix products in every adapted
layer, about a fifth of a trained agent's call time here (``bench/widen_speed.py --compare fold``).  ``planact setup``
writes such a copy for each adapter that ships with planact; the local backend loads it in place of the
model and adapter when it is there (:func:`merged`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

WIDENED = ("Q4_0", "Q4_1")  # the block types decoded to f16; others (Q8_0 embeddings, f32 norms) are copied


class WidenError(Exception):
    """The copy cannot be written (no ``gguf`` package, an unreadable source, a full disk)."""


def cache_folder() -> Path:
    """Where planact keeps files it derives once (``$PLANACT_CACHE``, else ``~/.cache/planact``)."""
    base = os.environ.get("PLANACT_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "planact")
    return Path(base).expanduser() / "models"


def widened_path(source: Path) -> Path:
    """The f16 copy's path for ``source``: its name and size in the file name, so a changed source has none."""
    stat = source.stat()
    return cache_folder() / f"{source.stem}.{stat.st_size}.f16.gguf"


def merged_path(source: Path, lora: Path) -> Path:
    """The path of the f16 copy of ``source`` with the adapter ``lora`` folded in: the model's name and size
    and the adapter's name and a digest of its bytes in its name (adapters of one shape have one size, so a
    retrained adapter of the same name must not find the copy of the old one)."""
    digest = hashlib.sha256(lora.read_bytes()).hexdigest()[:16]
    return cache_folder() / f"{source.stem}.{source.stat().st_size}+{lora.stem}.{digest}.f16.gguf"


def widened(source: Path, lora: Path | None = None) -> Path | None:
    """The f16 copy of ``source`` (with ``lora`` folded in, if given) if one was written (and is whole),
    else None."""
    try:
        path = widened_path(source) if lora is None else merged_path(source, lora)
    except OSError:
        return None
    return path if path.is_file() and path.stat().st_size > 0 else None


def merged(source: Path, lora: Path) -> Path | None:
    """The f16 copy of ``source`` with ``lora`` folded in, if one was written, else None."""
    return widened(source, lora)


def needs_widening(source: Path) -> bool:
    """Whether ``source`` holds 4-bit matrices a copy would decode (reads only the header)."""
    gguf = _gguf()
    try:
        reader = gguf.GGUFReader(str(source))
    except (OSError, ValueError) as err:
        raise WidenError(f"{source}: not a readable GGUF file ({err})") from None
    return any(t.tensor_type.name in WIDENED for t in reader.tensors)


def widen(source: Path, progress: Callable[[int, int], None] | None = None, lora: Path | None = None) -> Path:
    """Write the f16 copy of ``source``, with the LoRA adapter ``lora`` folded in if given (atomically: a file
    aside, renamed when whole), and return its path.  WidenError if an adapter does not fit the model."""
    gguf = _gguf()
    dest = widened_path(source) if lora is None else merged_path(source, lora)
    if widened(source, lora) is not None:
        return dest
    try:
        reader = gguf.GGUFReader(str(source))
    except (OSError, ValueError) as err:
        raise WidenError(f"{source}: not a readable GGUF file ({err})") from None
    deltas = {} if lora is None else _deltas(gguf, lora)
    architecture = _field(reader, "general.architecture") or "llama"
    dest.parent.mkdir(parents=True, exist_ok=True)
    aside = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        writer = gguf.GGUFWriter(str(aside), architecture)
        for name, field in reader.fields.items():
            if name.startswith("GGUF.") or name == "general.architecture":
                continue  # the writer writes these itself
            kind = field.types[0]
            value = int(gguf.LlamaFileType.MOSTLY_F16) if name == "general.file_type" else field.contents()
            sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(name, value, kind, sub_type=sub)
        tensors = list(reader.tensors)
        for number, tensor in enumerate(tensors, 1):
            if tensor.name in deltas:
                values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
                delta = deltas.pop(tensor.name)
                if delta.shape != values.shape:
                    raise WidenError(f"{lora}: {tensor.name} is {values.shape} in the model, {delta.shape} in it")
                writer.add_tensor(tensor.name, (values + delta).astype(np.float16))
            elif tensor.tensor_type.name in WIDENED:
                values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float16)
                writer.add_tensor(tensor.name, values)
            elif tensor.tensor_type.name in ("F32", "F16"):
                writer.add_tensor(tensor.name, np.asarray(tensor.data))
            else:  # a block type kept as it is (the 8-bit embedding): its bytes copied
                writer.add_tensor(tensor.name, np.asarray(tensor.data), raw_dtype=tensor.tensor_type)
            if progress is not None:
                progress(number, len(tensors))
        if deltas:
            raise WidenError(f"{lora} adapts matrices {source.name} does not have: {', '.join(sorted(deltas))}")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(aside, dest)
    except OSError as err:
        raise WidenError(f"could not write {dest}: {err}") from None
    finally:
        aside.unlink(missing_ok=True)
    return dest


def _deltas(gguf: object, lora: Path) -> dict[str, np.ndarray]:
    """``{matrix name: alpha/rank * B @ A}`` of a llama.cpp LoRA adapter file (``NAME.lora_a``/``.lora_b``)."""
    try:
        reader = gguf.GGUFReader(str(lora))  # type: ignore[attr-defined]
    except (OSError, ValueError) as err:
        raise WidenError(f"{lora}: not a readable GGUF file ({err})") from None
    if _field(reader, "general.type") != "adapter" or _field(reader, "adapter.type") != "lora":
        raise WidenError(f"{lora}: not a LoRA adapter (general.type adapter, adapter.type lora)")
    alpha = float(_field(reader, "adapter.lora.alpha") or 0)
    parts: dict[str, dict[str, np.ndarray]] = {}
    for tensor in reader.tensors:
        name, _, half = tensor.name.rpartition(".")
        if half not in ("lora_a", "lora_b"):
            raise WidenError(f"{lora}: {tensor.name} is no LoRA matrix (NAME.lora_a or NAME.lora_b)")
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)  # type: ignore[attr-defined]
        parts.setdefault(name, {})[half] = np.asarray(values, dtype=np.float32)
    deltas = {}
    for name, pair in parts.items():
        if set(pair) != {"lora_a", "lora_b"}:
            raise WidenError(f"{lora}: {name} has only {', '.join(pair)}")
        a, b = pair["lora_a"], pair["lora_b"]  # (rank, in) and (out, rank), as numpy holds ggml's [in, rank]
        if a.shape[0] != b.shape[1]:
            raise WidenError(f"{lora}: {name}: lora_a is {a.shape}, lora_b {b.shape}")
        scale = alpha / a.shape[0] if alpha else 1.0  # llama.cpp: no alpha, no scaling
        deltas[name] = scale * (b @ a)
    return deltas


def _field(reader: object, name: str) -> str | None:
    field = reader.fields.get(name)  # type: ignore[attr-defined]
    return None if field is None else str(field.contents())


def _gguf():  # noqa: ANN202 - the optional module itself
    try:
        import gguf
    except ImportError:
        raise WidenError("the f16 copy needs the gguf package: pip install gguf (planact setup installs it)") from None
    return gguf
