"""`--backend ray`: MiniWoB++ replay episodes on the workers of a real Ray cluster, each with a real Chromium.

The module starts one Ray instance of its own (2 CPUs, 127.0.0.1 only, no dashboard) and stops it at the
end. The tests compare the Ray backend's rows with the local backend's, kill and stop workers under running
episodes, and interrupt a driver (the `planact bench` command) and run it again.  For `planact record` and
`planact synth ground` (demo-shop plans, a fresh shop on one port for each command): the same trajectories
and verdicts on both backends, a worker killed under a plan's run or a replay, and the rerun that resumes.
"""

from __future__ import annotations

import importlib.util
import json
import os

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read when ray is imported: 127.0.0.1 only

import asyncio  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from setup_state import needs, needs_browser  # noqa: E402

from planact.cli import main  # noqa: E402
from planact.harness.agents import Models  # noqa: E402
from planact.harness.ray_backend import RayBackend, RayOptions, descendants  # noqa: E402
from planact.harness.runner import BenchOptions, Runner, read_results  # noqa: E402
from planact.harness.suites import PLANS, Demo, MiniWoB  # noqa: E402

HAVE_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="no ray: pip install 'planact[ray]' (in the dev extra)")

TASKS = "click-test,click-button,enter-text"
SEEDS = 2


@pytest.fixture(scope="module")
def cluster():
    """A Ray instance owned by this module: its GCS address (HOST:PORT) for drivers that join it."""
    import ray

    ray.init(
        address="local", num_cpus=2, include_dashboard=False, object_store_memory=128 * 2**20,
        logging_level="warning",
    )  # fmt: skip
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _plans(tmp_path: Path, slow: dict[str, float]) -> Path:
    """plans/miniwob's plans of the three tasks; those in ``slow`` wait that many seconds before acting."""
    folder = tmp_path / "plans"
    folder.mkdir()
    for task in TASKS.split(","):
        text = (PLANS / "miniwob" / f"{task}.pa").read_text()
        if task in slow:
            head, _, body = text.partition(":\n")  # the first step's header, then its actions
            text = f"{head}:\n    wait {slow[task]}\n{body}"
        (folder / f"{task}.pa").write_text(text)
    return folder


def _run(out: Path, backend=None, plans: Path | None = None, on_event=None, **options) -> list[dict]:
    suite = MiniWoB(plans).open(TASKS)
    try:
        settings = BenchOptions(**{"agents": ("replay",), "seeds": SEEDS, "parallel": 2, **options})
        runner = Runner(suite, Models(), settings, out, on_event=on_event, backend=backend)
        return asyncio.run(runner.run())
    finally:
        suite.close()


def _outcomes(rows: list[dict]) -> dict[tuple[str, int], tuple]:
    return {(r["task"], r["seed"]): (r["status"], r["success"], r["reward"], r["steps"], r["actions"]) for r in rows}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 20) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


pytestmark = [needs_ray, needs("data"), needs_browser]


def test_ray_and_local_backends_give_the_same_outcomes(cluster: str, tmp_path: Path):
    assert cluster.startswith("127.0.0.1:")  # the test cluster listens on the loopback only
    local = _run(tmp_path / "local")
    backend = RayBackend(RayOptions(), say=lambda line: None)
    on_ray = _run(tmp_path / "ray", backend)
    assert len(local) == len(on_ray) == 3 * SEEDS
    assert _outcomes(on_ray) == _outcomes(local)
    assert all(r["status"] == "ok" and r["success"] for r in on_ray), on_ray
    workers = {r["worker"] for r in on_ray}
    assert 1 <= len(workers) <= 2 and all(int(w.rsplit(":", 1)[1]) != os.getpid() for w in workers)
    for row in on_ray:  # each record where the local backend would have put it, and finished
        record = Path(row["record"])
        assert record.is_relative_to(tmp_path / "ray" / "runs" / "replay")
        events = [json.loads(line) for line in (record / "events.jsonl").read_text().splitlines()]
        assert events[-1]["event"] == "episode_finished" and events[-1]["success"] is True
    assert read_results(tmp_path / "ray" / "results.jsonl") == on_ray  # written by the driver as they came
    assert not (tmp_path / "ray" / ".planact-ray-probe").exists()


def test_demo_shop_tasks_on_ray_workers_run_against_each_workers_own_shop(cluster: str, tmp_path: Path):
    rows = {}
    for name, backend in (("local", None), ("ray", RayBackend(RayOptions(), say=lambda line: None))):
        suite = Demo().open("demo-001,demo-013")  # string_match on an answer; program_html on the cart
        try:
            runner = Runner(
                suite, Models(), BenchOptions(agents=("replay",), parallel=2), tmp_path / name, backend=backend
            )
            rows[name] = asyncio.run(runner.run())
        finally:
            suite.close()
    assert _outcomes(rows["ray"]) == _outcomes(rows["local"])
    assert all(r["success"] for r in rows["ray"]), rows["ray"]


def test_a_worker_killed_mid_episode_makes_an_error_line_and_the_rest_go_on(cluster: str, tmp_path: Path):
    plans = _plans(tmp_path, {"click-button": 4})
    out = tmp_path / "out"
    killed: dict[str, object] = {}

    def kill_under(kind: str, row: dict) -> None:  # 1.5 s into the first click-button episode: mid-wait
        if kind == "episode_started" and row["task"] == "click-button" and not killed:
            killed.update(pid=row["pid"], seed=row["seed"], below=set(descendants(row["pid"])))
            threading.Timer(1.5, os.kill, (row["pid"], signal.SIGKILL)).start()

    notes: list[str] = []
    rows = _run(out, RayBackend(RayOptions(), say=notes.append), plans, on_event=kill_under)
    by_episode = {(r["task"], r["seed"]): r for r in rows}
    assert len(by_episode) == len(rows) == 3 * SEEDS
    dead = by_episode[("click-button", killed["seed"])]
    assert dead["status"] == "error" and "died during the episode" in dead["error"], dead
    rest = [r for key, r in by_episode.items() if key != ("click-button", killed["seed"])]
    assert all(r["status"] == "ok" and r["success"] for r in rest), rest
    assert any("replaced" in note for note in notes), notes
    assert killed["below"], "the worker had a browser"
    assert _wait_gone({killed["pid"], *killed["below"]}) == set()  # its Chromium went with it

    # --retry-errors runs that episode again, and only it
    again = _run(out, RayBackend(RayOptions(), say=notes.append), plans, retry_errors=True)
    assert [(r["task"], r["seed"], r["status"], r["success"]) for r in again] == [
        ("click-button", killed["seed"], "ok", True)
    ]


def test_timed_out_episodes_are_cancelled_in_the_worker_or_by_the_driver(cluster: str, tmp_path: Path):
    # enter-text outlasts its time: its worker cancels it.  click-button's worker is stopped (SIGSTOP) under
    # it and never answers: the driver gives it up, kills it, and a new worker plays what is left.
    plans = _plans(tmp_path, {"enter-text": 30, "click-button": 3})
    stopped: dict[str, object] = {}

    def stop_under(kind: str, row: dict) -> None:
        if kind == "episode_started" and row["task"] == "click-button" and not stopped:
            stopped.update(pid=row["pid"], seed=row["seed"])
            threading.Timer(1.0, os.kill, (row["pid"], signal.SIGSTOP)).start()

    backend = RayBackend(RayOptions(grace_s=3), say=lambda line: None)
    rows = _run(tmp_path / "out", backend, plans, on_event=stop_under, timeout_s=8)
    by_episode = {(r["task"], r["seed"]): r for r in rows}
    assert len(by_episode) == 3 * SEEDS
    hung = by_episode.pop(("click-button", stopped["seed"]))
    assert hung["status"] == "timeout" and "did not answer" in hung["error"], hung
    assert _wait_gone({stopped["pid"]}) == set()
    for seed in range(SEEDS):
        slow = by_episode.pop(("enter-text", seed))
        assert slow["status"] == "timeout" and slow["error"] == "timed out after 8 s", slow
        assert 8 <= slow["seconds"] < 30  # cut off, not waited out
    assert all(r["status"] == "ok" and r["success"] for r in by_episode.values()), by_episode


def _bench(out: Path, plans: Path, address: str, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "planact", "bench", "miniwob", "--tasks", TASKS, "--seeds", str(SEEDS),
        "--parallel", "2", "--plans", str(plans), "--backend", "ray", "--ray-address", address, "-o", str(out),
        *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_an_interrupted_driver_resumes_without_running_a_finished_episode_twice(cluster: str, tmp_path: Path):
    plans = _plans(tmp_path, {"enter-text": 2})
    out = tmp_path / "out"
    results = out / "results.jsonl"
    first = _bench(out, plans, cluster)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and first.poll() is None and len(read_results(results)) < 2:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)  # Ctrl-C
    output, _ = first.communicate(timeout=90)
    done_first = read_results(results)
    assert first.returncode == 130 and "the same command again resumes" in output, output
    assert 2 <= len(done_first) < 3 * SEEDS, output

    second = _bench(out, plans, cluster, "--json")
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    every = read_results(results)
    assert every[: len(done_first)] == done_first  # the first run's lines, untouched
    keys = [(r["task"], r["seed"]) for r in every]
    assert len(keys) == len(set(keys)) == 3 * SEEDS and all(r["success"] for r in every)
    for row in done_first:  # finished before the interruption: played once, one finished record
        folders = (out / "runs" / "replay" / f"{row['task']}-s{row['seed']}").iterdir()
        finished = [f for f in folders if '"episode_finished"' in (f / "events.jsonl").read_text()]
        assert [str(f) for f in finished] == [row["record"]]


def test_synth_generate_records_on_ray_workers_that_send_their_records_back(cluster: str, tmp_path: Path):
    # ship_records: each record travels back with its row, as from a worker on another machine
    from planact.synth.generate import generate_miniwob

    backend = RayBackend(RayOptions(ship_records=True), say=lambda line: None)
    result = generate_miniwob(tmp_path, "click-test,enter-text", 2, parallel=2, backend=backend)
    rows = read_results(tmp_path / "episodes" / "results.jsonl")
    assert sorted((r["task"], r["seed"]) for r in rows) == [
        (t, s) for t in ("click-test", "enter-text") for s in (0, 1)
    ]
    assert all(r["worker"] and r["success"] for r in rows)
    for row in rows:  # unpacked where the local backend writes records, pages and all
        record = Path(row["record"])
        assert record.is_relative_to(tmp_path / "episodes" / "runs" / "replay") and (record / "pages.jsonl").is_file()
    assert result.successful == 4 and len((tmp_path / "trajectories.jsonl").read_text().splitlines()) == 4
    assert (tmp_path / "export" / "planner.jsonl").is_file()
    assert not list(Path(tempfile.gettempdir()).glob("planact-ray-worker-*"))  # the workers' own folders, removed


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--backend", "ray", "--ray-address", "not-an-address"], "--ray-address takes HOST:PORT"),
        (["--ray-address", "127.0.0.1:6379"], "goes with --backend ray"),
        (["--backend", "ray", "--ray-address", "127.0.0.1:{closed}"], "no Ray cluster answers at 127.0.0.1:"),
        (["--backend", "ray", "--ray-address", "127.0.0.1:{http}"], "is not a Ray cluster"),
    ],
)
def test_bad_ray_flags_say_so_in_one_line_and_exit_2(tmp_path: Path, flags: list[str], message: str):
    import socket
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)  # something that is not Ray
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ports = {"closed": closed.getsockname()[1], "http": server.server_address[1]}
        args = [f.format(**ports) for f in flags]
        result = CliRunner().invoke(main, ["bench", "miniwob", *args, "-o", str(tmp_path)])
    finally:
        server.shutdown()
        server.server_close()
        closed.close()
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output, result.output
    assert not (tmp_path / "results.jsonl").exists()


def test_backend_ray_without_ray_installed_says_how_to_install_it(tmp_path: Path):
    code = (
        "import sys; sys.modules['ray'] = None\n"  # as if ray were not installed
        "from planact.cli import main\n"
        f"main(['bench', 'miniwob', '--backend', 'ray', '-o', {str(tmp_path)!r}])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "planact bench: error: --backend ray needs Ray, which is not installed: pip install 'planact[ray]'"
    )


# ------------------------------------------------------------------ planact record and planact synth ground

DEMO_PLANS = ("01-cheapest-mouse", "05-filter-and-paginate", "07-compare-in-tabs")  # a cart, a filter, two tabs


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _demo_plans(folder: Path, port: int, slow: dict[str, float] | None = None) -> list[str]:
    """The demo plans of DEMO_PLANS pointed at a shop on ``port``; those in ``slow`` wait before acting."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_PLANS:
        text = (PLANS / "demo" / f"{name}.pa").read_text().replace("http://127.0.0.1:8765", f"http://127.0.0.1:{port}")
        if slow and name in slow:
            head, _, body = text.partition(":\n")  # the first step's header, then its actions
            text = f"{head}:\n    wait {slow[name]}\n{body}"
        (folder / f"{name}.pa").write_text(text)
    return [str(folder / f"{name}.pa") for name in DEMO_PLANS]


def _secret_flags() -> list[str]:
    from planact.cli import DEMO_SECRETS

    return [a for name, value in DEMO_SECRETS.items() for a in ("--secret", f"{name}={value}")]


def _trajectories(path: Path) -> list[tuple]:
    from planact.synth.trajectory import read_trajectories

    return [(t.task, t.status, t.texts(), [a.url for a in t.actions], t.answer) for t in read_trajectories(path)]


@pytest.fixture(scope="module")
def demo_recorded(tmp_path_factory):
    """DEMO_PLANS recorded by `planact record --backend local`, each run of a command against a fresh shop on
    one port (the same pages and URLs every time): the folder, the port and the plans."""
    from planact.demo.server import serve_demo

    folder, port = tmp_path_factory.mktemp("demo-recorded"), _free_port()
    plans = _demo_plans(folder / "plans", port)
    with serve_demo(port):
        args = ["record", *plans, "-o", str(folder / "local.traj.jsonl"), "--runs", str(folder / "runs"), "--json"]
        result = CliRunner().invoke(main, [*args, *_secret_flags()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder, port, plans


def test_record_on_ray_workers_gives_the_local_backends_trajectories_and_resumes(cluster: str, demo_recorded, tmp_path):
    from planact.demo.server import serve_demo

    folder, port, plans = demo_recorded
    out, runs = tmp_path / "ray.traj.jsonl", tmp_path / "runs"
    args = ["record", *plans, "-o", str(out), "--runs", str(runs), "--backend", "ray", "--parallel", "2"]
    with serve_demo(port):
        result = CliRunner().invoke(main, [*args, *_secret_flags()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _trajectories(out) == _trajectories(folder / "local.traj.jsonl")  # in the order of the sources
    assert all(status == "succeeded" for _, status, *_ in _trajectories(out))
    ledger = [json.loads(line) for line in (tmp_path / "ray.traj.recorded.jsonl").read_text().splitlines()]
    assert sorted(line["source"] for line in ledger) == sorted(plans)
    assert all(Path(line["record"]).is_relative_to(runs) for line in ledger)  # written by the worker, shared disk
    assert not (runs / ".planact-ray-probe").exists()

    # the same command again: every plan has its recording; none runs, no shop needed
    again = CliRunner().invoke(main, [*args, *_secret_flags(), "--json"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "(recorded before)" in again.stderr and len(list(runs.iterdir())) == len(plans)
    assert _trajectories(out) == _trajectories(folder / "local.traj.jsonl")


def test_a_worker_killed_while_recording_skips_that_plan_and_a_rerun_records_only_it(cluster: str, tmp_path):
    from planact.cli import DEMO_SECRETS
    from planact.demo.server import serve_demo
    from planact.synth.record import record_all

    port = _free_port()
    plans = _demo_plans(tmp_path / "plans", port, slow={"05-filter-and-paginate": 8})
    slow = plans[1]
    out, runs = tmp_path / "demo.traj.jsonl", tmp_path / "runs"
    killed: dict[str, object] = {}

    def kill_under(row: dict) -> None:  # 4 s into the slow plan's run: its Chromium is up, the plan waits
        if row["source"] == slow and not killed:
            killed.update(pid=row["pid"])
            threading.Timer(4.0, lambda: killed.update(below=set(descendants(row["pid"])))).start()
            threading.Timer(4.1, os.kill, (row["pid"], signal.SIGKILL)).start()

    notes: list[str] = []
    with serve_demo(port):
        first = record_all(
            plans, {}, DEMO_SECRETS, {}, runs, out, backend=RayBackend(RayOptions(), say=notes.append), parallel=2,
            on_start=kill_under,
        )  # fmt: skip
        assert [d.source for d in first] == plans  # in the order given
        dead = first[1]
        assert dead.trajectory is None and "died during the episode" in dead.error, dead
        assert all(d.trajectory is not None and d.trajectory.status == "succeeded" for d in (first[0], first[2]))
        assert killed.get("below"), "the worker had a browser"
        assert _wait_gone({killed["pid"], *killed["below"]}) == set()  # its Chromium went with it
        ledger = tmp_path / "demo.traj.recorded.jsonl"
        assert sorted(json.loads(line)["source"] for line in ledger.read_text().splitlines()) == [plans[0], plans[2]]

        # again, from a worker that sends its record back (as from another machine): only the killed plan runs
        backend = RayBackend(RayOptions(ship_records=True), say=notes.append)
        second = record_all(plans, {}, DEMO_SECRETS, {}, runs, out, backend=backend, parallel=2)
    assert [(d.again, d.trajectory is not None) for d in second] == [(True, True), (False, True), (True, True)]
    record = Path(second[1].trajectory.source)
    assert record.is_relative_to(runs) and (record / "pages.jsonl").is_file()  # unpacked where local writes it
    assert any("wait 8" in text for text in second[1].trajectory.texts())
    assert len(ledger.read_text().splitlines()) == 3


def _ground(folder: Path, traj_file: Path, port: int, *flags: str):
    from planact.demo.server import serve_demo

    args = ["synth", "ground", str(traj_file), "-o", str(folder), "--teacher", "recorded", "--json", *flags]
    with serve_demo(port):  # a fresh shop: each replay of a command starts from the same state
        return CliRunner().invoke(main, [*args, *_secret_flags()], catch_exceptions=False)


def test_ground_on_ray_workers_replays_to_the_local_backends_verdicts(cluster: str, demo_recorded, tmp_path):
    from planact.synth.trajectory import read_trajectories

    folder, port, _ = demo_recorded
    trajectories = list(read_trajectories(folder / "local.traj.jsonl"))
    wrong = trajectories[0].model_copy(update={"id": "wrong-answer", "answer": "something else"})
    traj_file = tmp_path / "with-wrong.traj.jsonl"
    traj_file.write_text("".join(t.model_dump_json() + "\n" for t in [*trajectories, wrong]))
    verdicts = {}
    for name, flags in (("local", ()), ("ray", ("--backend", "ray", "--parallel", "2"))):
        result = _ground(tmp_path / name, traj_file, port, *flags)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert (summary["kept"], summary["dropped"], summary["errors"]) == (len(trajectories), 1, 0), summary
        verdicts[name] = {
            r["id"]: (r["kept"], r["replayed"], r["reason"], r["steps"], r["plan"]) for r in summary["results"]
        }
    assert verdicts["ray"] == verdicts["local"]
    assert "the replay answered" in verdicts["ray"]["wrong-answer"][2]
    for entry in (tmp_path / "ray").glob("grounded/*"):  # the kept plans and their trajectories, pages and all
        assert entry.read_text() == (tmp_path / "local" / "grounded" / entry.name).read_text()
    again = _ground(tmp_path / "ray", traj_file, port, "--backend", "ray", "--parallel", "2")
    assert json.loads(again.stdout)["already_done"] == len(trajectories) + 1  # resumed: nothing replayed again


def test_a_worker_killed_during_a_replay_makes_that_trajectory_an_error_grounded_again_by_a_rerun(
    cluster: str, demo_recorded, tmp_path
):
    from planact.cli import DEMO_SECRETS
    from planact.demo.server import serve_demo
    from planact.synth.ground import LEDGER, RecordedSteps, ground_all
    from planact.synth.record import record_all
    from planact.synth.trajectory import read_trajectories

    folder, port, _ = demo_recorded
    fast = list(read_trajectories(folder / "local.traj.jsonl"))[1:]
    slow_plan = _demo_plans(tmp_path / "plans", port, slow={"05-filter-and-paginate": 8})[1]
    with serve_demo(port):
        [made] = record_all([slow_plan], {}, DEMO_SECRETS, {}, tmp_path / "runs", tmp_path / "slow.traj.jsonl")
    slow = made.trajectory
    assert slow is not None and any("wait 8" in text for text in slow.texts())
    killed: dict[str, object] = {}

    def kill_under(row: dict) -> None:
        if row["id"] == slow.id and not killed:
            killed.update(pid=row["pid"])
            threading.Timer(4.0, os.kill, (row["pid"], signal.SIGKILL)).start()

    out = tmp_path / "data"
    with serve_demo(port):
        backend = RayBackend(RayOptions(), say=lambda line: None)
        first = ground_all(
            [*fast, slow], RecordedSteps(), out, secrets=DEMO_SECRETS, backend=backend, parallel=2, on_start=kill_under
        )
        assert [r.id for r in first] == [t.id for t in (*fast, slow)]
        assert all(r.kept and r.replayed for r in first[:-1]), first
        assert not first[-1].kept and "died during the episode" in first[-1].error, first[-1]
        ledger = sorted(json.loads(line)["id"] for line in (out / LEDGER).read_text().splitlines())
        assert ledger == sorted(t.id for t in fast)  # the verdicts only: no line for the killed one
        assert _wait_gone({killed["pid"]}) == set()

        backend = RayBackend(RayOptions(), say=lambda line: None)
        second = ground_all([*fast, slow], RecordedSteps(), out, secrets=DEMO_SECRETS, backend=backend)
    assert [(r.id, r.kept, r.replayed, r.error) for r in second] == [(slow.id, True, True, None)]
    assert (out / "grounded" / f"{slow.id}.pa").is_file()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["record", "plans/demo/01-cheapest-mouse.pa", "-o", "{out}/t.jsonl", "--parallel", "2"],
         "planact record: error: --parallel 2 goes with --backend ray (the local backend records one plan at a time)"),
        (["synth", "ground", "{out}/t.jsonl", "-o", "{out}", "--ray-address", "127.0.0.1:6379"],
         "planact synth ground: error: --ray-address goes with --backend ray (the backend is local)"),
    ],
)  # fmt: skip
def test_record_and_ground_take_the_backend_flags_of_bench(tmp_path: Path, command: list[str], message: str):
    (tmp_path / "t.jsonl").write_text("")
    root = Path(__file__).parent.parent
    args = [str(root / a) if a.startswith("plans/") else a.format(out=tmp_path) for a in command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and result.output.strip() == message, result.output
