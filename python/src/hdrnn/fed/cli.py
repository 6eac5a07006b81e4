"""hdrnn-run fed: a whole federation on this machine (docs/federated.md). A Flower
SuperLink and N SuperNodes on loopback, each node training its share of one data set
(--partition) with a contract trainer, the hdrnn Flower app run on them with `flwr
run`, every process stopped again on success, failure and Ctrl-C; one session in the
runner's schema (records.py). The same app runs unchanged with SuperNodes on boards.

Flower is told not to phone home (telemetry, update check) and keeps its state in the
session's flower/ directory; nothing outside loopback is opened."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from .. import contract, datasets, idx
from ..cliutil import OneLineParser
from ..errors import DataError, ResourceError, UsageError
from ..files import read_json, write_text
from ..probe import inventory
from ..runner import executor, impls, machine, measure
from ..store import ResultsDir
from . import partition, records

PROG = "hdrnn-run fed"
APP = Path(__file__).parent / "app"
HOST = "127.0.0.1"
# No telemetry, no update check; SuperExec asks for new work every 0.1 s instead of 1 s
# (each round's train message waits for that poll on every node).
ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
       "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.1"}
STOP_WAIT = 10.0      # seconds a Flower process gets between SIGTERM and SIGKILL
START_WAIT = 60.0     # seconds the SuperLink gets to listen


def build_parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description="Train the HDR-NN federated, on Flower, "
                      "with N clients on this machine's loopback.")
    p.add_argument("--clients", type=int, default=3, help="SuperNodes (default 3)")
    p.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    p.add_argument("--partition", default="iid", help="iid, dirichlet:ALPHA or shards:K")
    p.add_argument("--impl", default="c", help="the clients' trainer (default c)")
    p.add_argument("--hidden", default="30", help="hidden sizes, e.g. 30 or 128,16")
    p.add_argument("--local-epochs", type=int, default=1, help="epochs per round (1)")
    p.add_argument("--lr", type=float, default=contract.DEFAULTS["lr"])
    p.add_argument("--batch", type=int, default=contract.DEFAULTS["batch"])
    p.add_argument("--seed", type=int, default=1, help="initial weights, shuffles, split")
    p.add_argument("--dataset", default="mnist-10k", choices=datasets.NAMES)
    p.add_argument("--data", type=Path, help="a data directory instead of --dataset")
    p.add_argument("--fraction", type=float, default=1.0,
                   help="FedAvg's fraction of the nodes that train each round (1.0)")
    p.add_argument("--min-nodes", type=int, help="FedAvg's minimum nodes (--clients)")
    p.add_argument("--target-accuracy", type=float, help="stop at this global accuracy")
    p.add_argument("--patience", type=int, help="stop after N rounds without a better one")
    p.add_argument("--max-update-norm", type=float, default=1e4,
                   help="refuse an update that moves the weights farther (L2; 1e4)")
    p.add_argument("--test-limit", type=int, default=100,
                   help="test samples of each local epoch (the server evaluates all)")
    p.add_argument("--native-bin", type=Path, help="the native trainers' directory")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds one client's local training may take (600)")
    p.add_argument("--round-timeout", type=float, default=900.0,
                   help="seconds a round waits for its replies (900)")
    p.add_argument("--out", type=Path, help="results directory (results/STAMP-fed)")
    p.add_argument("--resume", type=Path, metavar="DIR",
                   help="go on with an interrupted federation after its last round")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def check(a) -> None:
    """Every option, before anything starts: one line and exit 2 otherwise."""
    for name in ("clients", "rounds", "local_epochs", "batch", "test_limit"):
        v = getattr(a, name)
        if not 1 <= v <= contract.MAX_INT:
            raise UsageError(f"--{name.replace('_', '-')} {v}: must be a positive integer")
    if a.clients > 64:  # each node is 3 Python processes
        raise UsageError(f"--clients {a.clients}: at most 64 nodes on one machine")
    if a.min_nodes is not None and not 1 <= a.min_nodes <= a.clients:
        raise UsageError(f"--min-nodes {a.min_nodes}: must be 1 to --clients ({a.clients})")
    if a.patience is not None and not 1 <= a.patience <= contract.MAX_INT:
        raise UsageError(f"--patience {a.patience}: must be a positive integer")
    if a.target_accuracy is not None and not 0 < a.target_accuracy <= 1:
        raise UsageError(f"--target-accuracy {a.target_accuracy}: must be in (0, 1]")
    if not 0 < a.fraction <= 1:
        raise UsageError(f"--fraction {a.fraction}: must be in (0, 1]")
    for name in ("max_update_norm", "timeout", "round_timeout"):
        v = getattr(a, name)
        if not 0 < v < 1e9:
            raise UsageError(f"--{name.replace('_', '-')} {v}: must be a positive number")
    if not 0 < a.lr < 1e6:
        raise UsageError(f"--lr {a.lr}: must be a positive number below 1e6")
    partition.parse(a.partition)
    contract.parse_hidden(a.hidden)
    if a.impl not in impls.ALL:
        raise UsageError(f"--impl {a.impl!r}: one of {', '.join(impls.ALL)}")


def free_ports(n: int) -> list[int]:
    """n loopback ports free now (the kernel's choice; held together so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def flower_env(home: Path) -> dict:
    env = dict(os.environ, FLWR_HOME=str(home), **ENV)
    # the nodes start flower-superexec (and it the apps) by name: this Python's first
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def toml_line(key: str, value) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{key} = "{escaped}"'
    return f"{key} = {value!r}"


def write_toml(path: Path, values: dict) -> Path:
    write_text(path, "".join(toml_line(k, v) + "\n" for k, v in values.items()))
    return path


def descendants(root: int) -> set[int]:
    """Every live process below root, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class Fleet:
    """The Flower processes of one federation, each in its own process group, its output
    in flower/NAME.log; stop() ends them and everything they started (SIGTERM, then
    SIGKILL). Flower starts some of its processes in sessions of their own (ServerApp,
    ClientApps); this process is their subreaper, so that they stay below it even when
    their parent dies first, and stop() finds them all."""

    def __init__(self, home: Path) -> None:
        self.home, self.env = home, flower_env(home)
        self.procs: dict[str, subprocess.Popen] = {}
        self.log_from: dict[str, int] = {}  # where this start's output begins in NAME.log
        measure.become_subreaper()

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        exe = shutil.which(argv[0], path=self.env["PATH"])
        if not exe:
            raise ResourceError(f"{argv[0]} not found: Flower is not installed "
                                "(pip install 'hdrnn[fed]')")
        with open(self.home / f"{name}.log", "ab") as log:
            self.log_from[name] = log.tell()
            p = subprocess.Popen([exe] + argv[1:], stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, env=self.env, cwd=self.home,
                                 start_new_session=True)
        self.procs[name] = p
        return p

    def output(self, name: str) -> str:
        """What the process has logged since this start (a resume appends)."""
        with open(self.home / f"{name}.log", "rb") as log:
            log.seek(self.log_from[name])
            return log.read().decode(errors="replace")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        p = self.procs[name]
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass

    def _signal_all(self, sig: int) -> set[int]:
        live = descendants(os.getpid())
        for pid in live:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        return live

    def _reap(self) -> None:
        for p in self.procs.values():
            p.poll()
        while True:  # orphans handed to us as their subreaper
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def stop(self) -> None:
        for name in self.procs:
            self.kill(name, signal.SIGTERM)
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while time.monotonic() < deadline:
            self._reap()
            if not [pid for pid in descendants(os.getpid()) if _alive(pid)]:
                break
            time.sleep(0.1)
        for name in self.procs:
            self.kill(name)
        self._signal_all(signal.SIGKILL)
        for p in self.procs.values():
            p.wait()
        for _ in range(50):  # the SIGKILLed orphans, once they are gone
            self._reap()
            if not descendants(os.getpid()):
                break
            time.sleep(0.05)


SAMPLE_EVERY = 0.2  # seconds between two looks at the Flower processes' memory


def group_memory(pgids: set[int]) -> dict[int, list[int]]:
    """{pgid: [RSS, PSS] in KiB} summed over the processes of each of these process
    groups, in one pass over /proc: a node is its SuperNode, the SuperExec it starts
    and a ClientApp per message, which in turn runs the trainer. PSS shares a page among
    the processes mapping it; RSS counts it in each."""
    out = {g: [0, 0] for g in pgids}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            total = out.get(int(stat.rsplit(")", 1)[1].split()[2]))
            if total is None:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total[0] += int(line.split()[1])
            for line in (proc / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total[1] += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return out


class MemoryWatch(threading.Thread):
    """The peak RSS and PSS of each Flower process group, sampled from /proc every
    SAMPLE_EVERY s until stop(): what a board must hold for a node (a peak shorter
    than the interval can be missed)."""

    def __init__(self, fleet: "Fleet") -> None:
        super().__init__(daemon=True)
        self.fleet, self.done = fleet, threading.Event()
        self.peaks: dict[str, dict] = {}
        self.samples = 0

    def run(self) -> None:
        while not self.done.wait(SAMPLE_EVERY):
            procs = list(self.fleet.procs.items())
            memory = group_memory({p.pid for _, p in procs})
            for name, p in procs:
                rss, pss = memory[p.pid]
                peak = self.peaks.setdefault(name, {"rss_kib": 0, "pss_kib": 0})
                peak["rss_kib"] = max(peak["rss_kib"], rss)
                peak["pss_kib"] = max(peak["pss_kib"], pss)
            self.samples += 1

    def stop(self) -> dict:
        self.done.set()
        self.join(5)
        return {"peaks": self.peaks, "samples": self.samples, "every_s": SAMPLE_EVERY,
                "method": "sum over the process group from /proc (VmRSS, smaps_rollup Pss)"}


def _alive(pid: int) -> bool:
    """Not a zombie (a zombie below us is reaped by _reap)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] \
            != "Z"
    except (OSError, IndexError):
        return False


def wait_listening(port: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ResourceError(f"flower-superlink exited ({proc.returncode}) before it "
                                "listened; see its log in the session's flower/")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise ResourceError(f"flower-superlink did not listen on {HOST}:{port} in {seconds:g} s")


def new_session(a, data: Path, shape: idx.Dataset, impl: impls.Impl) -> ResultsDir:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = a.out or Path("results") / f"{stamp}-fed"
    info = {"preset": "fed", "plan": {"impls": [a.impl], "hidden": [contract.parse_hidden(
                a.hidden)], "epochs": a.local_epochs, "batch": a.batch, "lr": a.lr},
            "data_dir": str(data), "data": datasets.verify_manifest(data),
            "shape": {"inputs": shape.inputs, "classes": shape.classes},
            "label": None, "federation": {k: (str(v) if isinstance(v, Path) else v)
                                          for k, v in vars(a).items()},
            "machine": machine.machine_info(), "inventory": inventory(),
            "trainers": {impl.name: executor.probe(impl, data, shape.inputs, shape.classes)}}
    store = ResultsDir.create(out, info)
    (store.root / "flower").mkdir(exist_ok=True)
    return store


def run_config(a, store: ResultsDir, data: Path, classes: int) -> dict:
    return {"out": str(store.root.resolve()), "data": str(data.resolve()),
            "dataset": a.dataset if not a.data else data.name, "rounds": a.rounds,
            "partition": a.partition,
            "impl": a.impl, "hidden": a.hidden, "local-epochs": a.local_epochs,
            "lr": float(a.lr), "batch": a.batch, "seed": a.seed, "classes": classes,
            "test-limit": a.test_limit, "timeout": float(a.timeout),
            "fraction": float(a.fraction), "min-nodes": a.min_nodes or a.clients,
            "node-wait": 120.0, "expect-nodes": a.clients,
            "round-timeout": float(a.round_timeout),
            "max-update-norm": float(a.max_update_norm),
            "target-accuracy": float(a.target_accuracy or 0.0), "patience": a.patience or 0}


def node_config(a, store: ResultsDir, data: Path, client: int) -> dict:
    cfg = {"data-dir": str(data.resolve()), "partition": a.partition,
           "partition-id": client, "num-partitions": a.clients, "partition-seed": a.seed,
           "work-dir": str((store.root / "flower" / f"node-{client}").resolve())}
    if a.native_bin:
        cfg["native-bin"] = str(a.native_bin.resolve())
    return cfg


def start_fleet(a, store: ResultsDir, data: Path) -> tuple[Fleet, int]:
    home = (store.root / "flower").resolve()  # the processes run there: no relative paths
    fleet = Fleet(home)
    link, *nodes = free_ports(1 + a.clients)
    write_text(home / "config.toml", f'[superlink]\ndefault = "local"\n\n'
               f'[superlink.local]\naddress = "{HOST}:{link}"\ninsecure = true\n')
    superlink = fleet.start("superlink", [
        "flower-superlink", "--insecure", "--host", HOST, "--port", str(link),
        "--disable-runtime-dependency-installation"])
    wait_listening(link, superlink, START_WAIT)
    for c, port in enumerate(nodes):
        cfg = write_toml(home / f"node-{c}.toml", node_config(a, store, data, c))
        fleet.start(f"node-{c}", ["flower-supernode", "--insecure", "--superlink",
                                  f"{HOST}:{link}", "--host", HOST, "--port", str(port),
                                  "--node-config", str(cfg)])
    wait_registered(fleet, a.clients, START_WAIT)
    return fleet, link


def wait_registered(fleet: "Fleet", clients: int, seconds: float) -> None:
    """Every node registered with the SuperLink (its log names its node ID) before the
    app starts: on a loaded machine a node can take longer to start than the server
    waits before its first round."""
    deadline = time.monotonic() + seconds
    waiting = list(range(clients))
    while waiting and time.monotonic() < deadline:
        for c in list(waiting):
            if fleet.procs[f"node-{c}"].poll() is not None:
                raise ResourceError(f"node {c}: flower-supernode exited "
                                    f"({fleet.procs[f'node-{c}'].returncode}); see "
                                    f"{fleet.home}/node-{c}.log")
            try:
                if "SuperNode ID" in fleet.output(f"node-{c}"):
                    waiting.remove(c)
            except OSError:
                pass
        time.sleep(0.2)
    if waiting:
        raise ResourceError(f"nodes {waiting} did not register with the SuperLink in "
                            f"{seconds:g} s; see their logs in {fleet.home}")


def federate(a, store: ResultsDir, data: Path, classes: int) -> int:
    fleet, _ = start_fleet(a, store, data)
    watch = MemoryWatch(fleet)
    watch.start()
    home = (store.root / "flower").resolve()
    t0 = time.monotonic()
    try:
        cfg = write_toml(home / "run-config.toml", run_config(a, store, data, classes))
        store.unlock()  # the ServerApp, another process, writes the session now
        with open(home / "run.log", "ab") as log:
            run = subprocess.run(["flwr", "run", str(APP), "local", "--stream",
                                  "--run-config", str(cfg)], stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT, env=fleet.env,
                                 cwd=home, timeout=a.round_timeout * a.rounds + 300)
    except subprocess.TimeoutExpired:
        raise ResourceError(f"the federation took longer than its rounds' timeouts; "
                            f"see {home}/run.log") from None
    finally:
        memory = watch.stop()
        fleet.stop()
    store.lock()
    info = read_json(store.root / "session.json", "a session file")
    runs = info.setdefault("flower_runs", [])  # one per start (--resume adds one)
    runs.append({"wall_s": round(time.monotonic() - t0, 3), "flwr_run_exit": run.returncode,
                 "memory": memory})
    store.save_session({k: v for k, v in info.items() if k not in ("schema", "schema_version")})
    fed = records.load(store)
    if run.returncode != 0 or not fed or not fed.get("complete"):
        raise ResourceError(f"the federation did not complete (flwr run exit "
                            f"{run.returncode}); see {home}/run.log and superlink.log")
    return summary(a, store, fed)


def summary(a, store: ResultsDir, fed: dict) -> int:
    if not a.quiet:
        for r in fed["rounds"]:
            ok = sum(c["status"] == "ok" for c in r["clients"])
            print(f"round {r['round']}: accuracy {r['accuracy']:.4f}, {ok}/{r['sampled']} "
                  f"clients, {r['wall_s']:.1f} s ({r['overhead_s']:.1f} s Flower)")
        if fed.get("stopped"):
            print(f"stopped: {fed['stopped']}")
    return 0


def resumed(a) -> tuple[object, ResultsDir]:
    """The options of the interrupted federation a.resume, and its session, locked."""
    store, info = ResultsDir.open(a.resume)
    try:
        settings = info.get("federation")
        if not isinstance(settings, dict):
            raise DataError(f"{a.resume}: not a federation (session.json has no "
                            "'federation')")
        fed = records.load(store)
        if fed and fed.get("complete"):
            raise DataError(f"{a.resume}: this federation is complete")
        b = build_parser().parse_args([])
        for k, v in settings.items():
            if hasattr(b, k) and k not in ("resume", "quiet"):
                setattr(b, k, Path(v) if k in ("data", "native_bin", "out") and v else v)
        b.quiet, b.out = a.quiet, a.resume
        check(b)
        return b, store
    except BaseException:
        store.unlock()
        raise


def main_fed(argv: list[str]) -> int:
    a = build_parser().parse_args(argv)
    if a.resume:
        if any(x.startswith("--") and x.split("=")[0] not in ("--resume", "--quiet")
               for x in argv):
            raise UsageError("--resume takes the federation's own settings: no other "
                             "option but --quiet")
        a, store = resumed(a)
        data = Path(a.data) if a.data else datasets.path_of(a.dataset)
        print(f"{PROG}: resuming {store.root}", file=sys.stderr)
        try:
            return federate(a, store, data, idx.load(data, 1, 1).classes)
        finally:
            store.unlock()
    check(a)
    data = a.data or datasets.path_of(a.dataset)
    if not a.data and not data.is_dir():
        data = datasets.get(a.dataset)
    shape = idx.load(data, 1, 1)
    impl = impls.find(a.impl, a.native_bin)
    if not impl.argv:
        raise ResourceError(f"--impl {a.impl}: {impl.reason}")
    if shutil.which("flower-superlink", path=flower_env(Path(".")).get("PATH")) is None:
        raise ResourceError("Flower is not installed (pip install 'hdrnn[fed]')")
    labels = idx.read_labels(data / idx.TRAIN_LABELS)
    partition.assign(labels, a.clients, a.partition, a.seed)  # refused here, not on a node
    store = new_session(a, data, shape, impl)
    print(f"{PROG}: results in {store.root}", file=sys.stderr)
    try:
        return federate(a, store, data, shape.classes)
    finally:
        store.unlock()
