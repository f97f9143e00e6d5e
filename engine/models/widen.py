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
"""

from __future__ import annotations

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


def widened(source: Path) -> Path | None:
    """The f16 copy of ``source`` if one was written (and is whole), else None."""
    try:
        path = widened_path(source)
    except OSError:
        return None
    return path if path.is_file() and path.stat().st_size > 0 else None


def needs_widening(source: Path) -> bool:
    """Whether ``source`` holds 4-bit matrices a copy would decode (reads only the header)."""
    gguf = _gguf()
    try:
        reader = gguf.GGUFReader(str(source))
    except (OSError, ValueError) as err:
        raise WidenError(f"{source}: not a readable GGUF file ({err})") from None
    return any(t.tensor_type.name in WIDENED for t in reader.tensors)


def widen(source: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the f16 copy of ``source`` (atomically: a file aside, renamed when whole) and return its path."""
    gguf = _gguf()
    dest = widened_path(source)
    if widened(source) is not None:
        return dest
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
            kind = field.types[0]
            value = int(gguf.LlamaFileType.MOSTLY_F16) if name == "general.file_type" else field.contents()
            sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(name, value, kind, sub_type=sub)
        tensors = list(reader.tensors)
        for number, tensor in enumerate(tensors, 1):
            if tensor.tensor_type.name in WIDENED:
                values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float16)
                writer.add_tensor(tensor.name, values)
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


def _field(reader: object, name: str) -> str | None:
    field = reader.fields.get(name)  # type: ignore[attr-defined]
    return None if field is None else str(field.contents())


def _gguf():  # noqa: ANN202 - the optional module itself
    try:
        import gguf
    except ImportError:
        raise WidenError("the f16 copy needs the gguf package: pip install gguf (planact setup installs it)") from None
    return gguf
