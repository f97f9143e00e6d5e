"""The Ray backend: episodes on the workers of a Ray cluster (`planact bench`, `planact record`, `planact synth`).

Each worker is a Ray actor (:class:`Worker`): one process that runs a :class:`Job`'s items one at a time.
The job is built on the driver and travels to the worker, which sets it up once.  `planact bench` and the
recording phase of `planact synth generate` play benchmark episodes (:class:`EpisodeJob`): the suite (its own
MiniWoB++ or demo-shop server on the worker's 127.0.0.1; WebArena's sites are the user's hosts), the models
(loaded once, when the worker starts: the local llama.cpp model is read once per worker, a model server is
shared by its URL) and one Chromium, launched again if it dies, with the same code as the local backend
(:class:`~planact.harness.runner.EpisodePlayer`), so a row means the same on both.  `planact record` and
`planact synth ground` run jobs of their own (:mod:`planact.synth.jobs`) through the same driver.

The driver (:meth:`RayBackend.run`; for a benchmark :meth:`RayBackend.play`, inside
:class:`~planact.harness.runner.Runner`) keeps one queue of items and ``parallel`` workers, each asking for
``cpus_per_episode`` CPUs and ``memory_mb_per_episode`` MB of Ray's resources.  Rows come back as each item
ends and the caller writes them at once: the results file (a ledger, a trajectory file), and so resume,
work as on one machine.

Failures:

* a worker that dies mid-item (killed, out of memory, its node gone) makes that item a row with
  ``status: error``; a new worker takes its place and the rest go on;
* an item runs out of time inside its worker, which cancels it (``status: timeout``); a worker that
  does not answer ``grace_s`` seconds after the item's time is up is killed, and the row says so;
* an interrupted driver kills its workers; the same command again runs what has no row yet.

Run records: a worker that sees the driver's output folder (the same machine, or a shared file system:
it finds a probe file the driver wrote there) writes into it; any other writes into a folder of its
own and sends each finished record back with its row, to be unpacked where the local backend would
have written it.

Without an address the backend starts a private Ray instance on this machine, listening on 127.0.0.1
only, dashboard off, stopped at the end; with one (``HOST:PORT`` of ``ray start --head``, ``auto``,
``ray://HOST:PORT``) it joins that cluster and leaves it running.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import socket
import sys
import tarfile
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .agents import Models
from .runner import BenchOptions, BenchTask, Episode, EpisodePlayer, Runner, blank_row

INSTALL_HINT = "pip install 'planact[ray]'"
# Ray's switch between a single-machine instance (0: every server on 127.0.0.1) and a cluster node
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
WORKER_MB = 1024  # default memory request of one worker: Python, Playwright's driver and a Chromium (README)
SETUP_TIMEOUT_S = 180.0  # starting a worker: imports, the suite's server, the models, a Chromium
PRIVATE_OBJECT_STORE_MB = 256  # rows and record archives are small; Ray's default takes 30% of memory
PROBE = ".planact-ray-probe"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP2_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # an empty SETTINGS frame


class BackendError(Exception):
    """The backend cannot run the episodes; the one-line message says why and what to do."""


# ------------------------------------------------------------------ what travels to the workers


@dataclass
class ModelRecipe:
    """A model as a spec and its planact.toml settings: built where it runs, not pickled."""

    spec: str
    settings: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Any:
        from ..models.config import model_from_spec

        return model_from_spec(self.spec, self.settings)


def model_recipe(spec: str | None, role: str, default: str | None = None) -> ModelRecipe | None:
    """The model ``load_model`` would build for ``role``, resolved on the driver (its flags, environment and
    planact.toml) but not built: the worker builds it.  None when nothing names a model."""
    from ..models.config import ROLES, read_settings

    settings = read_settings(role if role in ROLES else "planner")
    chosen = (
        spec
        or (os.environ.get(f"PLANACT_{role.upper()}_MODEL") if role in ROLES else None)
        or os.environ.get("PLANACT_MODEL")
        or settings.get("spec")
        or default
    )
    return ModelRecipe(chosen, settings) if chosen else None


@dataclass
class ModelRecipes:
    """The models of a run, as recipes; ``load`` builds them in the worker, once."""

    planner: ModelRecipe | None = None
    executor: ModelRecipe | None = None
    judge: ModelRecipe | None = None

    def load(self) -> tuple[Models, Any]:
        """The planner and executor (one model when their recipes agree) and the judge."""
        planner = self.planner.build() if self.planner else None
        executor = planner if self.executor == self.planner else (self.executor.build() if self.executor else None)
        judge = self.judge.build() if self.judge else None
        return Models(planner, executor), judge

    def describe(self) -> str | None:
        """The executor's spec, for the progress line (the workers describe the built model in the rows)."""
        return self.executor.spec if self.executor else None


@dataclass
class SuiteRecipe:
    """How a worker opens the driver's suite: MiniWoB++ and the demo shop serve their own pages on the
    worker (and their tasks point there); WebArena takes the driver's site URLs (the user's hosts) and its
    tasks come from the driver."""

    kind: str
    plans: str | None = None
    source: str | None = None
    placeholders: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, suite: Any) -> SuiteRecipe:
        from .suites import Demo, MiniWoB, WebArena

        if isinstance(suite, MiniWoB):
            return cls("miniwob", plans=str(suite.plans))
        if isinstance(suite, Demo):
            return cls("demo", plans=str(suite.plans))
        if isinstance(suite, WebArena):
            plans = str(suite.plans) if suite.plans is not None else None
            return cls("webarena", plans, suite.source, dict(suite.placeholders), dict(suite.sites))
        raise BackendError(f"the ray backend runs the miniwob, demo and webarena suites, not {type(suite).__name__}")

    def open(self) -> Any:
        from .suites import Demo, MiniWoB, WebArena

        plans = Path(self.plans) if self.plans else None
        if self.kind == "miniwob":
            return MiniWoB(plans).open(None)
        if self.kind == "demo":
            return Demo(plans).open(None)
        suite = WebArena(self.source or "", self.placeholders, plans)
        suite.sites = dict(self.sites)  # the task configs came with the tasks: the task file stays on the driver
        return suite


@dataclass
class RayOptions:
    """Where and how big the workers are."""

    address: str | None = None  # None: a private instance on this machine (127.0.0.1 only)
    cpus_per_episode: float = 1.0
    memory_mb_per_episode: int = WORKER_MB
    grace_s: float = 30.0  # after an episode's timeout, before the driver kills a worker that does not answer
    ship_records: bool = False  # send every record back with its row, even to a driver the worker shares a disk with
    models: ModelRecipes = field(default_factory=ModelRecipes)


# ------------------------------------------------------------------ the worker


class Job(Protocol):
    """What a worker does with its items; built on the driver, pickled to each worker and set up there once.

    ``play`` answers one item with its row: a dict with ``status`` (``ok``, ``error``, ``timeout``), ``error``,
    ``seconds`` and, when the item wrote a run record under the worker's output folder, ``record`` (that
    folder).  It keeps an item's own failures in its row; what it raises is the row's error all the same.
    """

    def setup(self, out: Path) -> None:
        """Get ready once (servers, models, a browser); run records go under ``out``."""
        ...

    def play(self, *args: Any) -> dict[str, Any]:
        """One item: its row."""
        ...

    def close(self) -> None:
        """Release what ``setup`` took."""
        ...


class Worker:
    """A Ray actor: one process running a job's items, one at a time."""

    def __init__(self, job: Job, out: str, probe: str | None) -> None:
        self.job, self.driver_out, self.probe = job, out, probe
        self.shared = False
        self.out = Path(out)

    def setup(self) -> dict[str, Any]:
        """Set the job up; who and where this worker is."""
        try:
            self.shared = self.probe is not None and (Path(self.driver_out) / PROBE).read_text("ascii") == self.probe
        except OSError:
            self.shared = False
        if not self.shared:  # another machine: records go to a folder of this worker's, then back to the driver
            self.out = Path(tempfile.mkdtemp(prefix="planact-ray-worker-"))
        self.job.setup(self.out)
        return {"worker": f"{socket.gethostname()}:{os.getpid()}", "pid": os.getpid(), "shared": self.shared}

    def play(self, *args: Any) -> dict[str, Any]:
        """One item: its row, its record's path under the output folder, and (another machine) the record."""
        row = self.job.play(*args)
        answer: dict[str, Any] = {"row": row, "record": None, "archive": None}
        if row.get("record"):
            folder = Path(row["record"])
            answer["record"] = folder.resolve().relative_to(Path(self.out).resolve()).as_posix()
            if not self.shared:
                answer["archive"] = _pack(folder, answer["record"])
        return answer

    def close(self) -> None:
        """Close the job; remove this worker's own folder (its records went back)."""
        try:
            self.job.close()
        finally:
            if not self.shared:
                shutil.rmtree(self.out, ignore_errors=True)


@dataclass
class EpisodeJob:
    """Benchmark episodes: the suite, the run's models and one Chromium (an :class:`EpisodePlayer`)."""

    suite: SuiteRecipe
    models: ModelRecipes
    options: BenchOptions
    loop: Any = field(default=None, init=False, repr=False)
    player: EpisodePlayer | None = field(default=None, init=False, repr=False)
    opened: Any = field(default=None, init=False, repr=False)  # the suite, open on this worker

    def setup(self, out: Path) -> None:
        """Open the suite, load the models, launch the browser."""
        self.loop = asyncio.new_event_loop()
        self.opened = self.suite.open()
        models, judge = self.models.load()
        from ..models.config import describe_model

        model_name = describe_model(models.executor) if models.executor is not None else None
        options = replace(self.options, judge=judge, model_name=model_name)
        self.player = EpisodePlayer(self.opened, models, options, out)
        self.loop.run_until_complete(self.player.start())

    def play(self, agent: str, task: BenchTask, seed: int, plan_text: str | None) -> dict[str, Any]:
        """One episode's row."""
        assert self.player is not None, "setup() first"
        own = next((t for t in self.opened.tasks if t.id == task.id), None)
        if own is not None:  # a suite serving its own sites: the task as this worker's server has it
            task = replace(own, saved=task.saved)
        if task.saved is not None and not task.saved.is_file() and plan_text is not None:
            task = replace(task, saved=self._plan_file(task, plan_text))
        return self.loop.run_until_complete(self.player.episode(agent, task, seed))

    def close(self) -> None:
        """Close the browser and the suite's servers; remove the plans written here."""
        try:
            if self.player is not None:
                self.loop.run_until_complete(self.player.close())
        finally:
            if self.opened is not None:
                self.opened.close()
            shutil.rmtree(self._plans_folder(), ignore_errors=True)

    @staticmethod
    def _plans_folder() -> Path:
        return Path(tempfile.gettempdir()) / f"planact-ray-plans-{os.getpid()}"

    def _plan_file(self, task: BenchTask, text: str) -> Path:
        """The driver's saved plan, written where this worker can read it (its plans folder is not here)."""
        folder = self._plans_folder()
        folder.mkdir(exist_ok=True)
        path = folder / f"{task.id}.pa"
        path.write_text(text, encoding="utf-8")
        return path


def _pack(folder: Path, name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=name)
    return buffer.getvalue()


def _unpack(archive: bytes, out: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(out, filter="data")


@dataclass
class Batch:
    """Items for the workers: the job they run them with, and what the driver needs to know of them."""

    job: Job
    items: list[Any]
    out: Path  # the driver's output folder: where the rows' records belong
    parallel: int  # workers wanted
    timeout_s: float  # an item's own limit (its job cancels it); the driver waits grace_s longer
    blank: Callable[[Any], dict[str, Any]]  # an item's row before it ran (a dead worker's error row starts there)
    arguments: Callable[[Any], tuple[Any, ...]] = lambda item: (item,)  # what travels with an item to its worker
    on_start: Callable[[dict[str, Any]], None] = lambda row: None  # an item's blank row, with the worker's pid
    label: Callable[[dict[str, Any]], str] = lambda row: "an item"  # for the driver's notes
    noun: str = "items"


# ------------------------------------------------------------------ the driver


def import_ray(address: str | None = None) -> Any:
    """The ``ray`` module; a BackendError naming the extra when it is not installed.

    A private instance (no address) or a cluster on this machine's loopback is told to keep to 127.0.0.1
    (the switch is read when ray is first imported).
    """
    if address is None or _is_loopback(address):
        os.environ.setdefault(LOOPBACK_SWITCH, "0")
    try:
        import ray
    except ImportError:
        raise BackendError(f"--backend ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``HOST:PORT`` or ``ray://HOST:PORT``; None for ``auto``; BackendError otherwise."""
    if address == "auto":
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BackendError(
            f"--ray-address takes HOST:PORT (e.g. head-node:6379), ray://HOST:PORT or auto, not {address!r}"
        )
    return host.strip("[]"), int(port)


def _is_loopback(address: str) -> bool:
    try:
        where = _host_port(address)
    except BackendError:
        return False
    return where is not None and (where[0] == "localhost" or where[0].startswith("127.") or where[0] == "::1")


def check_address(address: str, timeout_s: float = 3.0) -> None:
    """A BackendError unless a gRPC server (Ray's GCS, or its client server for ``ray://``) answers at
    ``address``: a typo or a wrong port fails in seconds, not after Ray's minutes of retries."""
    where = _host_port(address)
    if where is None:
        return
    hint = "start one with `ray start --head` and give the address it prints (HOST:6379)"
    try:
        with socket.create_connection(where, timeout=timeout_s) as conn:
            conn.sendall(HTTP2_PREFACE + HTTP2_SETTINGS)
            answer = conn.recv(9)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise BackendError(f"no Ray cluster answers at {address} ({reason}): {hint}") from None
    if len(answer) < 4 or answer[3] != 0x04:  # an HTTP/2 server's first frame is its SETTINGS
        raise BackendError(f"what listens at {address} is not a Ray cluster (it does not speak gRPC): {hint}")


def _reason(err: BaseException) -> str:
    """The first line of what went wrong in a worker (the cause inside Ray's wrapper)."""
    cause = getattr(err, "cause", None)
    inner = cause if isinstance(cause, BaseException) else err
    text = "".join(traceback.format_exception_only(type(inner), inner)).strip()
    return text.splitlines()[-1][:500] if text else type(inner).__name__


@dataclass
class _Slot:
    """One worker the driver keeps busy, replaced when it dies."""

    handle: Any = None
    worker: str = "?"
    pid: int | None = None


class RayBackend:
    """Plays episodes on Ray workers; ``say`` gets the driver's notes (lowered parallelism, replaced workers)."""

    def __init__(self, options: RayOptions | None = None, say: Callable[[str], None] | None = None) -> None:
        self.options = options or RayOptions()
        self.say = say or (lambda line: print(line, file=sys.stderr))
        self.workers: list[_Slot] = []  # the live ones, for tests and progress displays

    def check(self) -> None:
        """Fail early, before any server starts: Ray missing, a malformed or unreachable address."""
        import_ray(self.options.address)
        if self.options.address:
            check_address(self.options.address)

    async def play(self, runner: Runner, episodes: list[Episode], deliver: Callable[[dict[str, Any]], None]) -> None:
        """Run a benchmark's ``episodes`` on up to ``runner.options.parallel`` workers; rows reach ``deliver``
        as they end."""
        recipe = SuiteRecipe.of(runner.suite)
        job = EpisodeJob(recipe, self.options.models, replace(runner.options, judge=None))  # the judge: a recipe

        def arguments(episode: Episode) -> tuple[Any, ...]:
            agent, task, seed = episode
            plan_text = task.saved.read_text(encoding="utf-8") if task.saved and task.saved.is_file() else None
            return agent, task, seed, plan_text

        batch = Batch(
            job, episodes, runner.out, runner.options.parallel, runner.options.timeout_s,
            blank=lambda e: blank_row(runner.suite.name, e[0], e[1], e[2], self.options.models.describe()),
            arguments=arguments, on_start=lambda row: runner.on_event("episode_started", row),
            label=lambda row: f"{row['task']} seed {row['seed']}", noun="episodes",
        )  # fmt: skip
        await self.run(batch, deliver)

    async def run(self, batch: Batch, deliver: Callable[[dict[str, Any]], None]) -> None:
        """Run ``batch``'s items on up to ``batch.parallel`` workers; rows reach ``deliver`` as they end."""
        ray = import_ray(self.options.address)
        owned = self._connect(ray)
        out = batch.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
        probe = secrets.token_hex(8)
        (out / PROBE).write_text(probe, encoding="ascii")
        try:
            count = self._workers_that_fit(ray, min(batch.parallel, len(batch.items)))
            worker_class = ray.remote(Worker).options(
                num_cpus=self.options.cpus_per_episode,
                memory=self.options.memory_mb_per_episode * 2**20,
                max_restarts=0,
                max_task_retries=0,
            )

            async def start(slot: _Slot) -> None:
                shown = None if self.options.ship_records else probe
                slot.handle = worker_class.remote(batch.job, str(out), shown)
                ref = slot.handle.setup.remote()
                try:
                    who = await asyncio.wait_for(asyncio.wrap_future(ref.future()), SETUP_TIMEOUT_S)
                except TimeoutError:
                    self._kill(ray, slot)
                    raise BackendError(
                        f"a Ray worker did not start within {SETUP_TIMEOUT_S:g} s: is planact (with its browser) "
                        "installed on every node, and is there room for a worker?"
                    ) from None
                except Exception as err:
                    self._kill(ray, slot)
                    raise BackendError(f"a Ray worker could not start: {_reason(err)}") from None
                slot.worker, slot.pid = who["worker"], who["pid"]

            slots = [_Slot() for _ in range(count)]
            self.workers = slots
            await asyncio.gather(*(start(s) for s in slots))
            queue: deque[Any] = deque(batch.items)
            await asyncio.gather(*(self._drive(ray, batch, slot, queue, start, deliver) for slot in slots))
            if queue:
                raise BackendError(f"{len(queue)} {batch.noun} were not run: no worker could be started again")
        finally:
            await asyncio.gather(*(self._close(ray, slot) for slot in self.workers))
            self.workers = []
            (out / PROBE).unlink(missing_ok=True)
            if owned:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join the cluster (or start the private instance); whether this call did, so ends it."""
        if ray.is_initialized():  # a caller (a test, a notebook) already chose the cluster
            return False
        address = self.options.address
        try:
            if address:
                check_address(address)
                ray.init(address=address, logging_level="warning", log_to_driver=False)
            else:
                ray.init(
                    address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False,
                    object_store_memory=PRIVATE_OBJECT_STORE_MB * 2**20, logging_level="error", log_to_driver=False,
                )  # fmt: skip
        except BackendError:
            raise
        except Exception as err:
            where = f"join the Ray cluster at {address}" if address else "start a Ray instance on this machine"
            raise BackendError(f"cannot {where}: {_reason(err)}") from None
        return True

    def _workers_that_fit(self, ray: Any, wanted: int) -> int:
        resources = ray.cluster_resources()
        cpus, memory_mb = resources.get("CPU", 0.0), resources.get("memory", 0.0) / 2**20
        need_cpu, need_mb = self.options.cpus_per_episode, self.options.memory_mb_per_episode
        fits = int(min(cpus / need_cpu if need_cpu > 0 else wanted, memory_mb // need_mb if need_mb > 0 else wanted))
        if fits < 1:
            raise BackendError(
                f"the Ray cluster has {cpus:g} CPUs and {memory_mb:.0f} MB: no room for a worker asking "
                f"{need_cpu:g} CPUs and {need_mb} MB (lower --ray-cpus-per-episode or --ray-memory-per-episode)"
            )
        if wanted > fits:
            self.say(
                f"--parallel {wanted} lowered to {fits}: the Ray cluster has {cpus:g} CPUs and {memory_mb:.0f} MB, "
                f"{need_cpu:g} CPUs and {need_mb} MB per worker"
            )
        return max(1, min(wanted, fits))

    async def _drive(
        self, ray: Any, batch: Batch, slot: _Slot, queue: deque[Any], start: Callable[[_Slot], Any],
        deliver: Callable[[dict[str, Any]], None],
    ) -> None:  # fmt: skip
        """Keep one worker busy until the queue is empty, replacing it when it dies or hangs."""
        deadline = batch.timeout_s + self.options.grace_s
        while queue:
            item = queue.popleft()
            row = batch.blank(item)
            row["worker"] = slot.worker
            batch.on_start(dict(row, pid=slot.pid))
            began = time.perf_counter()
            ref = slot.handle.play.remote(*batch.arguments(item))
            replace_worker = False
            try:
                answer = await asyncio.wait_for(asyncio.wrap_future(ref.future()), deadline)
            except TimeoutError:
                row.update(
                    status="timeout", error=f"timed out after {batch.timeout_s:g} s; the worker "
                    f"{slot.worker} did not answer {self.options.grace_s:g} s later and was stopped",
                )  # fmt: skip
                replace_worker = True
            except ray.exceptions.RayActorError as err:  # the worker died under the episode
                row.update(status="error", error=f"the worker {slot.worker} died during the episode: {_reason(err)}")
                replace_worker = True
            except Exception as err:  # the item's code raised past its own handler: a bug, kept as the row's error
                row.update(status="error", error=f"the worker {slot.worker} failed: {_reason(err)}")
            else:
                row = dict(answer["row"], worker=slot.worker)
                if answer["archive"] is not None:
                    _unpack(answer["archive"], batch.out)
                if answer["record"]:
                    row["record"] = str((batch.out / answer["record"]).resolve())
            if not row.get("seconds"):
                row["seconds"] = round(time.perf_counter() - began, 2)
            deliver(row)
            if replace_worker:
                self._kill(ray, slot)
                if not queue:
                    return
                self.say(f"worker {slot.worker} replaced ({row['status']}: {batch.label(row)})")
                try:
                    await start(slot)
                except BackendError as err:
                    self.say(f"a worker could not be started again: {err}")
                    return

    async def _close(self, ray: Any, slot: _Slot) -> None:
        """Let a worker close its browser and servers, then end its process."""
        if slot.handle is not None and slot.pid is not None:
            try:
                await asyncio.wait_for(asyncio.wrap_future(slot.handle.close.remote().future()), 15)
            except Exception:  # dead, hung or interrupted: killed all the same
                pass
        self._kill(ray, slot)

    @staticmethod
    def _kill(ray: Any, slot: _Slot) -> None:
        if slot.handle is not None:
            try:
                ray.kill(slot.handle, no_restart=True)
            except Exception:  # already dead, or the cluster is gone
                pass
            slot.handle = None


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (a worker's Playwright driver and Chromium), from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
