"""The trained agent that ships with planact (``--model local:miniwob``): SmolLM2-135M with a LoRA adapter
trained by bench/paper_table.py on planact's own synthetic MiniWoB++ data (training seeds < 1000).

It loads by name, and solves held-out episodes (seeds >= 1000, never trained on) end to end: the real model
on llama.cpp, real Chromium, the MiniWoB++ page's own reward.  How well it does over every task is the
benchmark's figure (bench/paper_table.py, the README's table), not asserted here.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from setup_state import needs, needs_browser

from planact.models.base import ModelError
from planact.models.local import ADAPTERS, LocalLlama, shipped_adapters

pytestmark = needs("models")

# held-out episodes the shipped adapter solves; the seeds are the benchmark's first held-out ones
SOLVED = [("click-test-2", 1000), ("focus-text-2", 1000)]  # focus-text-2 was never trained on


def test_the_trained_adapter_ships_with_its_card():
    adapters = shipped_adapters()
    assert "miniwob" in adapters and adapters["miniwob"].stat().st_size > 1_000_000
    card = json.loads((ADAPTERS / "miniwob.json").read_text())
    assert card["base"] == "SmolLM2-135M-Instruct.Q4_1.gguf" and "paper_table.py" in card["command"]
    assert card["held_out_seed"] == 1000 and set(card["roles"]) == {"react", "executor", "planner", "replanner"}


def test_a_shipped_adapter_loads_by_name_and_an_unknown_name_says_what_ships():
    model = LocalLlama("miniwob")
    assert model.lora_path == shipped_adapters()["miniwob"] and model.name.endswith("+miniwob.gguf")
    with pytest.raises(ModelError, match=r"no adapter of that name ships with planact \(shipped: miniwob\)"):
        LocalLlama("nosuch")


def test_the_prompt_cache_changes_no_answer():
    # alternating prompts that share no prefix: with the cache, each is restored from its own earlier state
    prompts = [
        [{"role": "system", "content": "You name colours."}, {"role": "user", "content": f"Name colour {n}."}]
        if n % 2
        else [{"role": "system", "content": "You count."}, {"role": "user", "content": f"Count to {n}."}]
        for n in range(1, 7)
    ]
    plain, cached = LocalLlama(prompt_cache_mb=0), LocalLlama(prompt_cache_mb=64)
    assert plain._llama is not cached._llama and cached._llama.cache is not None
    for messages in prompts:
        assert cached.complete(messages, max_tokens=12).text == plain.complete(messages, max_tokens=12).text


@needs("data")
@needs_browser
@pytest.mark.parametrize(("task", "seed"), SOLVED)
def test_the_trained_agent_solves_a_held_out_episode(tmp_path: Path, task: str, seed: int):
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "planact", "bench", "miniwob", "--agent", "react", "--model", "local:miniwob",
         "--tasks", task, "--seeds", "1", "--first-seed", str(seed), "--timeout", "120", "-o", str(out), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert (row["task"], row["seed"], row["agent"]) == (task, seed, "react")
    assert row["success"] is True and row["model_calls"] >= 1, row
