"""A 16-bit copy of a 4-bit GGUF model: the same weights, evaluated faster on this kind of CPU.

llama.cpp multiplies a 4-bit (Q4_0/Q4_1) matrix by first quantising the activations to 8 bits; for a
135M model on two cores that costs more than it saves, and the prompt of an agent's call (hundreds of
tokens of page) is evaluated about 1.6 times faster from f16 weights, and faster again from bf16 ones
on a CPU with AVX512-BF16 instructions (``bench/widen_speed.py``).  The copy's values are the 4-bit
ones decoded (f16 holds them as they are; bf16 rounds each to 8 significant bits, and the greedy answers
measured stayed the same), and a LoRA adapter made for the 4-bit file (every trained planact model and
shipped adapter) applies to the copy unchanged.

Which kind is written: bf16 where ``/proc/cpuinfo`` lists ``avx512_bf16`` (or ``amx_bf16``), else f16;
``PLANACT_WIDEN=f16`` or ``=bf16`` chooses, ``=0`` turns copies off (the local backend reads that).

The copy (about 245 MB for SmolLM2-135M) is written once, by ``planact setup`` or
``planact setup --only f16``, to planact's cache folder; :func:`widened` finds it (the preferred kind
first, then the other, so a copy written before still serves), and the local backend loads it in place
of the 4-bit file when it is there.  Nothing is written at serving time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

WIDENED = ("Q4_0", "Q4_1")  # the block types decoded to 16 bits; others (Q8_0 embeddings, f32 norms) are copied
KINDS = ("bf16", "f16")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of a CPU that multiplies bf16 natively


class WidenError(Exception):
    """The copy cannot be written (no ``gguf`` package, an unreadable source, a full disk)."""


def cache_folder() -> Path:
    """Where planact keeps files it derives once (``$PLANACT_CACHE``, else ``~/.cache/planact``)."""
    base = os.environ.get("PLANACT_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "planact")
    return Path(base).expanduser() / "models"


def preferred_kind() -> str:
    """``bf16`` on a CPU that multiplies bf16 natively, else ``f16``; ``PLANACT_WIDEN=f16|bf16`` chooses."""
    chosen = os.environ.get("PLANACT_WIDEN", "").strip().lower()
    if chosen in KINDS:
        return chosen
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
            flags = next((line.split(":", 1)[1].split() for line in file if line.startswith("flags")), [])
    except OSError:
        return "f16"
    return "bf16" if any(flag in flags for flag in BF16_FLAGS) else "f16"


def widened_path(source: Path, kind: str | None = None) -> Path:
    """The copy's path for ``source``: its name, size and kind in the file name, so a changed source has none."""
    stat = source.stat()
    return cache_folder() / f"{source.stem}.{stat.st_size}.{kind or preferred_kind()}.gguf"


def widened(source: Path, kind: str | None = None) -> Path | None:
    """The 16-bit copy of ``source`` if one was written (and is whole), else None: of ``kind`` if given,
    else of either kind, the preferred one first."""
    first = kind or preferred_kind()
    kinds = (first,) if kind else (first, *(k for k in KINDS if k != first))
    for each in kinds:
        try:
            path = widened_path(source, each)
        except OSError:
            return None
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def kind_of(copy: Path) -> str:
    """The kind (``f16`` or ``bf16``) of a copy :func:`widened` returned, read from its name."""
    return copy.suffixes[-2].lstrip(".") if len(copy.suffixes) >= 2 else "f16"


def needs_widening(source: Path) -> bool:
    """Whether ``source`` holds 4-bit matrices a copy would decode (reads only the header)."""
    gguf = _gguf()
    try:
        reader = gguf.GGUFReader(str(source))
    except (OSError, ValueError) as err:
        raise WidenError(f"{source}: not a readable GGUF file ({err})") from None
    return any(t.tensor_type.name in WIDENED for t in reader.tensors)


def widen(source: Path, progress: Callable[[int, int], None] | None = None, kind: str | None = None) -> Path:
    """Write the 16-bit copy of ``source`` (``kind``: the preferred one when None; atomically: a file aside,
    renamed when whole) and return its path."""
    gguf = _gguf()
    kind = kind or preferred_kind()
    if kind not in KINDS:
        raise WidenError(f"no such kind of copy: {kind} (one of {', '.join(KINDS)})")
    dest = widened_path(source, kind)
    if widened(source, kind) is not None:
        return dest
    file_type = gguf.LlamaFileType.MOSTLY_BF16 if kind == "bf16" else gguf.LlamaFileType.MOSTLY_F16
    try:
        reader = gguf.GGUFReader(str(source))
    except (OSError, ValueError) as err:
        raise WidenError(f"{source}: not a readable GGUF file ({err})") from None
    architecture = _field(reader, "general.architecture") or "llama"
    dest.parent.mkdir(parents=True, exist_ok=True)
    aside = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        writer = gguf.GGUFWriter(str(aside), architecture)
        for name, field in reader.fields.items():
            if name.startswith("GGUF.") or name == "general.architecture":
                continue  # the writer writes these itself
            value_type = field.types[0]
            value = int(file_type) if name == "general.file_type" else field.contents()
            sub = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(name, value, value_type, sub_type=sub)
        tensors = list(reader.tensors)
        for number, tensor in enumerate(tensors, 1):
            if tensor.tensor_type.name in WIDENED:
                values, raw = _decoded(gguf, tensor, kind)
                writer.add_tensor(tensor.name, values, raw_dtype=raw)
            elif tensor.tensor_type.name in ("F32", "F16"):
                writer.add_tensor(tensor.name, np.asarray(tensor.data))
            else:  # a block type kept as it is (the 8-bit embedding): its bytes copied
                writer.add_tensor(tensor.name, np.asarray(tensor.data), raw_dtype=tensor.tensor_type)
            if progress is not None:
                progress(number, len(tensors))
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


def _decoded(gguf, tensor, kind: str) -> tuple:  # noqa: ANN001 - the gguf module and one of its tensors
    """(values, raw type or None) of a 4-bit tensor decoded to ``kind``, as ``GGUFWriter.add_tensor`` takes them."""
    values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    if kind == "f16":
        return values.astype(np.float16), None
    bf16 = gguf.GGMLQuantizationType.BF16
    return gguf.quants.quantize(values.astype(np.float32), bf16), bf16


def _field(reader: object, name: str) -> str | None:
    field = reader.fields.get(name)  # type: ignore[attr-defined]
    return None if field is None else str(field.contents())


def _gguf():  # noqa: ANN202 - the optional module itself
    try:
        import gguf
    except ImportError:
        raise WidenError("the f16 copy needs the gguf package: pip install gguf (planact setup installs it)") from None
    return gguf
