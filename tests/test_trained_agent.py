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


def test_the_trained_adapters_ship_with_their_cards():
    adapters = shipped_adapters()
    assert "miniwob" in adapters and adapters["miniwob"].stat().st_size > 1_000_000
    card = json.loads((ADAPTERS / "miniwob.json").read_text())
    assert card["base"] == "SmolLM2-135M-Instruct.Q4_1.gguf" and "paper_table.py" in card["command"]
    assert card["held_out_seed"] == 1000 and set(card["roles"]) == {"react", "executor", "planner", "replanner"}
    planner = json.loads((ADAPTERS / "miniwob-planner.json").read_text())
    assert planner["prompts"] == "compact" and "--executor local:miniwob" in planner["command"]
    assert not set(planner["training_tasks"]) & set(planner["unseen_tasks"])
    agent = json.loads((ADAPTERS / "miniwob-agent.json").read_text())  # one adapter, every role, compact
    assert agent["prompts"] == "compact" and set(agent["roles"]) == {"executor", "planner", "replanner"}
    assert agent["held_out_seed"] == 1000 and not set(agent["training_tasks"]) & set(agent["unseen_tasks"])


def test_a_shipped_adapter_loads_by_name_and_an_unknown_name_says_what_ships():
    model = LocalLlama("miniwob")
    assert model.lora_path == shipped_adapters()["miniwob"] and model.name.endswith("+miniwob.gguf")
    assert model.prompts == "full"  # trained on the full prompts
    planner = LocalLlama("miniwob-planner")
    assert planner.prompts == "compact"  # its card says so: it is served with the compact prompts
    shipped = r"\(shipped: miniwob, miniwob-agent, miniwob-planner\)"
    with pytest.raises(ModelError, match=rf"no adapter of that name ships with planact {shipped}"):
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


def held_out_episode(tmp_path: Path, agent: str, task: str, seed: int, *models: str) -> tuple[dict, list[dict]]:
    """One `planact bench miniwob` episode in a process of its own: its result row and its run's events."""
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "planact", "bench", "miniwob", "--agent", agent, *models, "--tasks", task,
         "--seeds", "1", "--first-seed", str(seed), "--timeout", "120", "-o", str(out), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert (row["task"], row["seed"], row["agent"]) == (task, seed, agent)
    events = [json.loads(line) for line in (Path(row["record"]) / "events.jsonl").read_text().splitlines()]
    return row, events


@needs("data")
@needs_browser
@pytest.mark.parametrize(("task", "seed"), SOLVED)
def test_the_trained_agent_solves_a_held_out_episode(tmp_path: Path, task: str, seed: int):
    row, _ = held_out_episode(tmp_path, "react", task, seed, "--model", "local:miniwob")
    assert row["success"] is True and row["model_calls"] >= 1, row


@needs("data")
@needs_browser
@pytest.mark.parametrize("agent", ["static", "dynamic"])
def test_the_trained_planner_and_executor_solve_a_held_out_episode_together(tmp_path: Path, agent: str):
    """The planner (compact prompts) drafts a plan from the instruction and the page, the executor grounds it."""
    models = ("--planner-model", "local:miniwob-planner", "--executor-model", "local:miniwob")
    row, events = held_out_episode(tmp_path, agent, "click-test", 1000, *models)
    assert row["success"] is True and row["steps"] >= 1, row
    planned = [e for e in events if e["event"] == "model_call" and e.get("purpose") == "plan"]
    assert planned and planned[0]["completion"].startswith("step ")  # step lines, the header is the engine's


@needs("data")
@needs_browser
@pytest.mark.parametrize(("task", "agent"), [("click-test", "dynamic"), ("click-dialog-2", "static")])
def test_the_one_adapter_agent_plans_and_executes_a_held_out_episode(tmp_path: Path, task: str, agent: str):
    """`--model local:miniwob-agent` alone: the same adapter drafts the plan (step lines) and grounds each
    step one action a turn, constrained to what the page shows, on a held-out seed."""
    row, events = held_out_episode(tmp_path, agent, task, 1000, "--model", "local:miniwob-agent")
    assert row["success"] is True and row["actions"] >= 1, row
    planned = [e for e in events if e["event"] == "model_call" and e.get("purpose") == "plan"]
    assert planned and planned[0]["completion"].startswith("step ")
    grounding = [e["completion"] for e in events if e["event"] == "model_call" and e.get("purpose") == "ground"]
    assert grounding and all(len(c.strip().splitlines()) == 1 for c in grounding)  # one action or done a turn
