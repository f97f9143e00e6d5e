"""The 16-bit copies (f16, bf16) of the shipped 4-bit model (planact.models.widen, `planact setup --only f16`):
the same weights decoded, the same metadata, loaded by the local backend in place of the 4-bit file, and
written whole or not at all.  How much faster they are belongs to bench/widen_speed.py, not to a test."""

import importlib.util

import numpy as np
import pytest
from setup_state import needs

from planact import install
from planact.models import local
from planact.models import widen as widening
from planact.models.local import LocalLlama, default_model_path

pytestmark = [
    needs("models"),
    pytest.mark.skipif(importlib.util.find_spec("gguf") is None, reason="no gguf: run `planact setup --only train`"),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANACT_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module", params=widening.KINDS)
def copy(cache, request):
    """The copy of one kind, with ``PLANACT_WIDEN`` naming that kind while the tests use it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANACT_WIDEN", request.param)
        yield widening.widen(default_model_path(), kind=request.param)


def _decoded(gguf, tensor, kind):
    values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    if kind == "f16":
        return values.astype(np.float16).tobytes()
    return gguf.quants.quantize(values.astype(np.float32), gguf.GGMLQuantizationType.BF16).tobytes()


def test_the_copy_holds_the_4_bit_weights_decoded_and_the_same_metadata(copy):
    import gguf

    kind = widening.kind_of(copy)
    source = gguf.GGUFReader(str(default_model_path()))
    wide = gguf.GGUFReader(str(copy))
    assert widening.widened(default_model_path()) == copy and copy.name.endswith(f".{kind}.gguf")
    assert [t.name for t in wide.tensors] == [t.name for t in source.tensors]
    decoded = 0
    for before, after in zip(source.tensors, wide.tensors, strict=True):
        assert list(after.shape) == list(before.shape), before.name
        if before.tensor_type.name in widening.WIDENED:
            assert after.tensor_type.name == kind.upper()
            assert np.asarray(after.data).tobytes() == _decoded(gguf, before, kind), before.name
            decoded += 1
        else:  # the 8-bit embedding and the f32 norms are copied byte for byte
            assert after.tensor_type == before.tensor_type
            assert np.array_equal(np.asarray(after.data), np.asarray(before.data)), before.name
    assert decoded > 100 and not widening.needs_widening(copy) and widening.needs_widening(default_model_path())
    for name, field in source.fields.items():
        if name.startswith("GGUF."):
            continue
        if name == "general.file_type":
            assert wide.fields[name].contents() == int(getattr(gguf.LlamaFileType, f"MOSTLY_{kind.upper()}"))
        else:
            assert wide.fields[name].contents() == field.contents(), name


def test_the_local_backend_loads_the_copy_and_answers_as_the_4_bit_file_does(copy, monkeypatch):
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
    kind = widening.kind_of(copy)
    wide = LocalLlama(None, n_ctx=512, prompt_cache_mb=0)
    assert wide.weights == copy and wide.model_path == default_model_path() and f"{kind} copy" in wide.describe()
    narrow = LocalLlama(None, n_ctx=512, prompt_cache_mb=0, widen=False)
    assert narrow.weights == default_model_path() and "copy" not in narrow.describe()
    monkeypatch.setenv("PLANACT_WIDEN", "0")
    assert LocalLlama(None, n_ctx=512, prompt_cache_mb=0).weights == default_model_path()
    answers = [m.complete(messages, max_tokens=12).text for m in (wide, narrow)]
    assert answers[0] == answers[1] and "Paris" in answers[0], answers  # the same weights, the same answer


def test_a_failed_write_leaves_nothing_and_a_bad_source_is_refused(cache, tmp_path, monkeypatch):
    source = tmp_path / "model.gguf"
    source.write_bytes(default_model_path().read_bytes()[: 4 << 20])  # a cut-off download
    with pytest.raises(widening.WidenError, match="not a readable GGUF file"):
        widening.widen(source)
    assert widening.widened(source) is None and not list(cache.glob("**/model.*"))

    whole = tmp_path / "whole.gguf"
    whole.write_bytes(default_model_path().read_bytes())

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(widening.os, "replace", full_disk)
    with pytest.raises(widening.WidenError, match="No space left on device"):
        widening.widen(whole)
    assert widening.widened(whole) is None and not list(cache.glob("**/*whole*")) and not list(cache.glob("**/.*"))


def test_setup_writes_the_copy_once_and_reports_it(cache, copy, monkeypatch):
    monkeypatch.setattr(install, "_write_marker", lambda names: None)  # this environment's record stays as it is
    (outcome,) = install.setup(("f16",), check_only=True)
    assert outcome.status == "present" and outcome.detail == str(copy)
    copy.unlink()
    (outcome,) = install.setup(("f16",), check_only=True)
    kind = widening.kind_of(copy)
    assert outcome.status == "missing" and f"no {kind} copy" in outcome.detail
    lines: list[str] = []
    (outcome,) = install.setup(("f16",), progress=lines.append)
    assert outcome.status == "installed" and copy.is_file() and any(f"writing a {kind} copy" in line for line in lines)


def test_the_kind_written_is_bf16_where_the_cpu_multiplies_it_else_f16_unless_chosen(monkeypatch, tmp_path):
    monkeypatch.delenv("PLANACT_WIDEN", raising=False)
    with open("/proc/cpuinfo", encoding="utf-8") as file:
        flags = next((line.split(":", 1)[1].split() for line in file if line.startswith("flags")), [])
    native = "bf16" if {"avx512_bf16", "amx_bf16"} & set(flags) else "f16"
    assert widening.preferred_kind() == native
    for kind in widening.KINDS:
        monkeypatch.setenv("PLANACT_WIDEN", kind.upper())
        assert widening.preferred_kind() == kind
    monkeypatch.setenv("PLANACT_WIDEN", "1")  # on, kind not chosen
    assert widening.preferred_kind() == native
    with pytest.raises(widening.WidenError, match="no such kind of copy: f8"):
        widening.widen(default_model_path(), kind="f8")


def test_a_compact_prompt_model_keeps_no_prompt_cache_and_the_environment_sets_both_defaults(monkeypatch):
    for name in ("PLANACT_PROMPT_CACHE_MB", "PLANACT_FLASH_ATTENTION"):
        monkeypatch.delenv(name, raising=False)
    trained = LocalLlama("miniwob-agent", n_ctx=512)  # the shipped adapter, trained on the compact prompts
    plain = LocalLlama(None, n_ctx=512)  # the base model, sent the full prompts
    assert (trained.prompts, trained.prompt_cache_mb, trained.flash_attention) == ("compact", 0, True)
    assert (plain.prompts, plain.prompt_cache_mb) == ("full", local.PROMPT_CACHE_MB)
    monkeypatch.setenv("PLANACT_PROMPT_CACHE_MB", "64")
    monkeypatch.setenv("PLANACT_FLASH_ATTENTION", "off")
    chosen = LocalLlama("miniwob-agent", n_ctx=512)
    assert (chosen.prompt_cache_mb, chosen.flash_attention) == (64, False)
    monkeypatch.setenv("PLANACT_PROMPT_CACHE_MB", "lots")  # unreadable: the default stands
    assert LocalLlama("miniwob-agent", n_ctx=512).prompt_cache_mb == 0
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
    answers = {m.complete(messages, max_tokens=12).text for m in (trained, chosen)}
    assert len(answers) == 1, answers  # flash attention and the cache change the speed, not the answer
