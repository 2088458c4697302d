"""Benchmarks of the Monte Carlo engine and of ``climaterisk assess`` (not part of the test suite).

For each synthetic register size (``benchmarks/synthetic.py``, N sites x 10 risks) and trial
count, every case runs in a fresh subprocess with a timeout:

* **engine**: load and compile the register, then, in the same process and back to back, a plain
  vectorised numpy reference (:func:`reference`), ``simulate`` of the inherent and residual
  configurations on one thread and on two threads (``workers=2``). Events per second count the
  expected number of sampled events (rates x trials; checked against ``draw_block``).
* **e2e**: ``python -m climaterisk assess ... --format json --output FILE`` end to end: wall
  time, CPU time and peak memory (``ru_maxrss`` of that child, from ``os.wait4``).
* **fft**: ``python -m climaterisk assess --method fft`` on the 40-link synthetic register (the
  shipped register draws R6's reputational episodes from its simulated outages, which the exact
  method refuses), and the bare start-up cost ``python -m climaterisk --help``.
* **dask**: the Dask engine on a ``LocalCluster`` of one, then two worker processes (one thread
  each): the time of the same simulation on each, and whether the numbers are identical.

Other processes on the machine distort timings. Every measurement records the load average and
the CPU the *rest* of the machine used meanwhile (``/proc/stat`` busy time minus our own CPU
time, in cores); a case disturbed by more than ``--max-other`` cores is run again while the time
budget allows, and the least disturbed attempt is kept.

Usage::

    python benchmarks/run.py --quick                        # small sizes, under a minute
    python benchmarks/run.py --out /tmp/climaterisk-bench/results.json   # the full run, ~20 min
    python benchmarks/plot.py /tmp/climaterisk-bench/results.json docs/performance-scaling.png
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import pty
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

SEED = 20231231
RISKS = 10
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- machine load

def cpu_busy() -> tuple[float, float]:
    """Seconds of CPU the whole machine has spent busy and stolen (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


class Meter:
    """Wall time, our CPU time and the CPU the rest of the machine used during a measurement."""

    def __init__(self, own_cpu=time.process_time):  # type: ignore[no-untyped-def]
        self.own_cpu = own_cpu

    def __enter__(self) -> Meter:
        self.usage0 = resource.getrusage(resource.RUSAGE_SELF)
        self.load = loadavg()
        self.busy0, self.steal0 = cpu_busy()
        self.cpu0 = self.own_cpu()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, child: resource.struct_rusage | None = None) -> dict:
        """End the measurement; ``child`` is the rusage of a child process measured instead of
        this process."""
        self.wall = time.perf_counter() - self.t0
        busy, steal = cpu_busy()
        if child is not None:
            self.cpu, sys_s, faults = child.ru_utime + child.ru_stime, child.ru_stime, child.ru_minflt
        else:
            u = resource.getrusage(resource.RUSAGE_SELF)
            self.cpu = self.own_cpu() - self.cpu0
            sys_s, faults = u.ru_stime - self.usage0.ru_stime, u.ru_minflt - self.usage0.ru_minflt
        wall = max(self.wall, 1e-9)
        self.other = max(0.0, (busy - self.busy0) - self.cpu) / wall
        self.steal = (steal - self.steal0) / wall
        return {"wall_s": self.wall, "cpu_s": self.cpu, "sys_s": sys_s, "page_faults": faults,
                "other_cores": round(self.other, 3), "steal_cores": round(self.steal, 3),
                "loadavg_1min": self.load}


def wait_quiet(max_other: float, max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) until the rest of the machine uses under ``max_other``
    cores over one second; return the last reading."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, _ = cpu_busy()
        c0 = time.process_time()
        time.sleep(1.0)
        other = (cpu_busy()[0] - b0) - (time.process_time() - c0)
        if other < max_other or time.monotonic() > deadline:
            return round(max(other, 0.0), 3)


# ----------------------------------------------------------------------------- the reference

def link_parameters(portfolio, configs) -> dict:  # type: ignore[no-untyped-def]
    """Per-link arrays for :func:`reference`, from the compiled portfolio: marginal rates (local
    plus common-shock rate x footprint) and the lognormal parameters of damage and downtime."""
    links = portfolio.links
    lam = np.array(links.local_rate, dtype=float)
    for group in portfolio.groups:
        for fp, site_links in zip(group.footprint, group.site_links, strict=True):
            lam[site_links] += group.rate * fp
    mult = links.sev_mult
    res = configs[1]

    def factor(name: str) -> np.ndarray:
        return np.asarray(getattr(res, name, np.ones(len(lam))), dtype=float)

    with np.errstate(divide="ignore", invalid="ignore"):
        cap_a = np.where(links.a_scale > 0, links.a_cap / links.a_scale, np.inf)
    return {
        "lam": lam, "mu_a": links.mu_a + np.log(mult), "s_a": links.s_a, "cap_a": cap_a,
        "amp_a": links.a_scale, "mu_b": links.mu_b + np.log(mult), "s_b": links.s_b,
        "amp_b": links.b_scale * links.has_down,
        "keep": factor("keep"), "fa": factor("sev_a"), "fb": factor("sev_b"),
    }


def reference(p: dict, trials: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A plain vectorised compound-Poisson simulation of the same links, inherent and residual
    totals per trial: per chunk of T trials, every link's count ``Poisson(lambda * T)`` at once,
    a uniform trial index per event, two standard normals scaled and exponentiated in place
    (damage and downtime, each capped as in the engine), a uniform per event for
    frequency-reducing controls, and ``np.bincount`` per trial. Common shocks are replaced by
    their marginal rate (same number of events and same means, no correlation); no breakdown
    by risk or site, no insurance layers. Chunks hold about ``max(2**18, 16 x links)`` events."""
    lam = p["lam"]
    rng = np.random.default_rng(seed)
    idx = np.arange(len(lam))
    per_year = max(float(lam.sum()), 1e-12)
    chunk = int(min(trials, max(1, round(max(2**18, 16 * len(lam)) / per_year))))
    inh, res = np.empty(trials), np.empty(trials)
    events = 0
    for start in range(0, trials, chunk):
        n = min(chunk, trials - start)
        link = np.repeat(idx, rng.poisson(lam * n))
        e = link.size
        events += e
        trial = rng.integers(0, n, size=e)
        a = rng.standard_normal(e)
        a *= p["s_a"][link]
        a += p["mu_a"][link]
        np.exp(a, out=a)
        np.minimum(a, p["cap_a"][link], out=a)  # damage <= replacement value
        a *= p["amp_a"][link]
        b = rng.standard_normal(e)
        b *= p["s_b"][link]
        b += p["mu_b"][link]
        np.exp(b, out=b)
        np.minimum(b, 365.0, out=b)  # downtime <= a year
        b *= p["amp_b"][link]
        inh[start:start + n] = np.bincount(trial, weights=a + b, minlength=n)
        a *= p["fa"][link]
        b *= p["fb"][link]
        a += b
        a *= rng.random(e) < p["keep"][link]
        res[start:start + n] = np.bincount(trial, weights=a, minlength=n)
    return inh, res, events


# ----------------------------------------------------------------------------- engine worker

def expected_events(portfolio) -> float:  # type: ignore[no-untyped-def]
    """Expected sampled events per simulated year: local rates plus, per common-shock group,
    regional rate x footprint x links of each member site."""
    rate = float(np.sum(portfolio.links.local_rate))
    for group in portfolio.groups:
        rate += sum(group.rate * fp * len(sl) for fp, sl in zip(group.footprint, group.site_links,
                                                                strict=True))
    return rate


def engine_worker(spec: dict) -> dict:
    """One engine case, in this process: compile, pilot, reference, engine on 1 and 2 threads."""
    from climaterisk.model.compile import compile_portfolio
    from climaterisk.model.controls import controls_config, inherent_config
    from climaterisk.model.draws import block_trials, draw_block
    from climaterisk.model.simulate import simulate
    from climaterisk.register import load_register
    from climaterisk.scenarios import load_scenario

    out: dict = {}
    with Meter() as m:
        register = load_register(spec["register"])
    out["load"] = m.stop()
    with Meter() as m:
        scenario = load_scenario(spec["scenario"])
        portfolio = compile_portfolio(register, scenario, spec["year"])
        configs = [inherent_config(portfolio), controls_config(register, portfolio)]
    out["compile"] = m.stop()
    per_year = expected_events(portfolio)
    out["links"] = len(portfolio.links)
    out["events_per_year"] = per_year
    block = block_trials(portfolio)
    out["block_trials"] = block
    out["events_block0_per_year"] = len(draw_block(portfolio, SEED, 0, block).link) / block

    def run_engine(trials: int, workers: int) -> tuple[dict, float]:
        chunks = []  # progress is called once per chunk
        with Meter() as meter:
            samples = simulate(portfolio, configs, trials, SEED, workers=workers, progress=chunks.append)
        result = {**meter.stop(), "chunks": len(chunks)}
        return result, float(np.mean(samples["inherent"].total))

    # pilot (also the warm-up): one block; cut the trials if the 1-thread run would not fit
    pilot, _ = run_engine(block, 1)
    out["pilot"] = pilot
    trials = spec["trials"]
    estimate = pilot["wall_s"] * trials / block
    if estimate > spec["phase_limit"]:
        trials = max(block, int(spec["phase_limit"] / pilot["wall_s"]) * block)
    out["trials_run"] = trials
    out["events"] = per_year * trials

    p = link_parameters(portfolio, configs)

    def run_reference() -> tuple[dict, float]:
        with Meter() as m:
            ref_inh, _, ref_events = reference(p, trials, SEED)
        return ({**m.stop(), "events": ref_events, "inherent_se": float(ref_inh.std() / np.sqrt(trials))},
                float(ref_inh.mean()))

    # short cases run twice, interleaved, and keep the faster of each: the first pass of a
    # process pays for faulting in fresh memory, whichever of the three runs first
    rounds = 2 if pilot["wall_s"] * trials / block < 20 else 1
    runs: dict[str, list[dict]] = {"reference": [], "engine1": [], "engine2": []}
    for _ in range(rounds):
        for key, fn in (("reference", run_reference), ("engine1", lambda: run_engine(trials, 1)),
                        ("engine2", lambda: run_engine(trials, 2))):
            result, mean = fn()
            runs[key].append({**result, "inherent_mean": mean})
    for key, values in runs.items():
        out[key] = {**min(values, key=lambda r: r["wall_s"]), "walls_s": [r["wall_s"] for r in values]}
    out["rounds"] = rounds
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def dask_worker(spec: dict) -> dict:
    """The Dask case, in this process: a ``LocalCluster`` of one worker process, then of two
    (one thread each); for each the start-up time, a warm-up run and the timed
    ``cluster.simulate_on`` of inherent and residual. The two runs' totals must be identical
    (bit for bit) to each other and to the local engine's."""
    from dask.distributed import Client, LocalCluster

    from climaterisk.model import dask_engine as cluster
    from climaterisk.model.compile import compile_portfolio
    from climaterisk.model.controls import controls_config, inherent_config
    from climaterisk.model.simulate import simulate
    from climaterisk.register import load_register
    from climaterisk.scenarios import load_scenario

    register = load_register(spec["register"])
    portfolio = compile_portfolio(register, load_scenario(spec["scenario"]), spec["year"])
    configs = [inherent_config(portfolio), controls_config(register, portfolio)]
    out: dict = {}
    totals = {}
    for n in (1, 2):
        with Meter() as m:
            lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            c = Client(lc)
        out[f"start{n}"] = m.stop()
        cluster.simulate_on(c, portfolio, configs, 20_000, SEED)  # warm-up
        with Meter() as m:
            samples = cluster.simulate_on(c, portfolio, configs, spec["trials"], SEED)
        out[f"workers{n}"] = m.stop()
        totals[n] = samples["residual"].total
        c.close()
        lc.close()
    local = simulate(portfolio, configs, spec["trials"], SEED, workers=2)["residual"].total
    out["identical"] = bool(np.array_equal(totals[1], totals[2]) and np.array_equal(totals[1], local))
    return out


# ----------------------------------------------------------------------------- subprocesses

PROGRESS = re.compile(r"([\d,]+) of ([\d,]+) trials")


def run_child(cmd: list[str], timeout: float, mem_limit_gb: float, stdout_path: str | None = None) -> dict:
    """Run ``cmd`` with a timeout and an address-space limit; stderr goes to a pseudo-terminal
    (so ``climaterisk`` shows its progress line, which tells how far a timed-out run got).
    Returns wall and CPU time, peak RSS of that child (``os.wait4``), the other load meanwhile,
    the exit status, stdout (unless written to ``stdout_path``) and the tail of stderr."""

    def limit() -> None:
        cap = int(mem_limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    master, slave = pty.openpty()
    out_file = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    meter = Meter().__enter__()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out_file, stderr=slave,
                            preexec_fn=limit, cwd=tempfile.gettempdir())
    os.close(slave)
    err, stdout = b"", b""
    fds = [master] + ([proc.stdout.fileno()] if proc.stdout else [])
    timed_out, status, usage = False, 0, None
    deadline = time.perf_counter() + timeout
    while True:
        ready, _, _ = select.select(fds, [], [], 0.2)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                fds.remove(fd)
            elif fd == master:
                err = (err + data)[-20000:]
            else:
                stdout += data
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            timed_out = True
            os.kill(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            break
    proc.returncode = os.waitstatus_to_exitcode(status)
    for fd in fds:  # drain what is left
        try:
            while data := os.read(fd, 65536):
                if fd == master:
                    err = (err + data)[-20000:]
                else:
                    stdout += data
        except OSError:
            pass
    os.close(master)
    if stdout_path:
        out_file.close()
    result = meter.stop(child=usage)
    text = err.decode("utf-8", "replace")
    done = PROGRESS.findall(text)
    fraction = None
    if done:
        a, b = (int(x.replace(",", "")) for x in done[-1])
        fraction = a / b if b else None
    result.update({
        "exit": proc.returncode, "timed_out": timed_out, "peak_rss_mb": usage.ru_maxrss / 1024,
        "progress": fraction, "stderr_tail": text.replace("\r", "\n").strip()[-600:],
        "stdout": stdout.decode("utf-8", "replace"),
    })
    return result


# ----------------------------------------------------------------------------- cases

def size_name(sites: int, layout: str = "grid") -> str:
    return f"{sites}x{RISKS}" + ("-rows" if layout == "rows" else "")


def plan(quick: bool, work: Path) -> list[dict]:
    """The cases, in order. Timeouts (s) bound the full run to about 20 minutes on 2 cores."""
    def reg(sites: int, layout: str = "grid") -> dict:
        folder = work / "registers" / size_name(sites, layout)
        return {"size": size_name(sites, layout), "sites": sites, "links": sites * RISKS,
                "layout": layout, "register": str(folder / "register"),
                "scenario": str(folder / "scenario.yaml"), "year": synthetic.YEAR}

    if quick:
        return [
            {"kind": "startup", "timeout": 30, "repeat": 1},
            {"kind": "fft", **reg(4), "timeout": 30, "repeat": 1},
            {"kind": "engine", **reg(4), "trials": 100_000, "phase_limit": 10, "timeout": 60},
            {"kind": "engine", **reg(40), "trials": 100_000, "phase_limit": 10, "timeout": 60},
            {"kind": "e2e", **reg(4), "trials": 100_000, "format": "json", "timeout": 60},
        ]
    cases: list[dict] = [{"kind": "startup", "timeout": 60, "repeat": 3, "retries": 0},
                         {"kind": "fft", **reg(4), "timeout": 60, "repeat": 3, "retries": 0}]
    # engine alone; a 1-thread engine phase estimated (from a one-block pilot) to take longer
    # than `phase_limit` s runs on fewer trials, and the table says so
    cases += [
        {"kind": "engine", **reg(4), "trials": 100_000, "phase_limit": 60, "timeout": 200},
        {"kind": "engine", **reg(4), "trials": 1_000_000, "phase_limit": 60, "timeout": 200},
        {"kind": "engine", **reg(40), "trials": 100_000, "phase_limit": 60, "timeout": 200},
        {"kind": "engine", **reg(40), "trials": 1_000_000, "phase_limit": 90, "timeout": 360},
        {"kind": "engine", **reg(400), "trials": 100_000, "phase_limit": 90, "timeout": 360},
        {"kind": "engine", **reg(4000), "trials": 100_000, "phase_limit": 60, "timeout": 300},
    ]
    # end to end as a user runs it: all cores; JSON adds control values (one more configuration
    # per control, 10 here) and simulated ISO 22301 coverage; the table has inherent and residual
    # only. 4,000 and 40,000 links run the table: their JSON would not fit the time budget.
    cases += [
        {"kind": "e2e", **reg(4), "trials": 100_000, "format": "json", "timeout": 60},
        {"kind": "e2e", **reg(4), "trials": 1_000_000, "format": "json", "timeout": 120},
        {"kind": "e2e", **reg(40), "trials": 100_000, "format": "json", "timeout": 120},
        {"kind": "e2e", **reg(40), "trials": 1_000_000, "format": "json", "timeout": 300},
        {"kind": "e2e", **reg(40), "trials": 1_000_000, "format": "table", "timeout": 150},
        {"kind": "e2e", **reg(400), "trials": 100_000, "format": "table", "timeout": 180},
        {"kind": "e2e", **reg(4000), "trials": 100_000, "format": "table", "timeout": 240},
    ]
    # issue 19: the same 400 links and events as *many rows* (one risk and one site-scoped
    # control per link: 400 risks, 400 controls), beside the 10-risk layout at the same counts
    cases += [
        {"kind": "e2e", **reg(40), "trials": 200_000, "format": "json", "timeout": 120},
        {"kind": "e2e", **reg(40, "rows"), "trials": 1_000_000, "format": "table", "timeout": 300},
        {"kind": "e2e", **reg(40, "rows"), "trials": 200_000, "format": "json", "timeout": 300},
    ]
    # Dask: a LocalCluster of 1, then 2 worker processes, 400 links x 1,000,000 trials
    cases += [{"kind": "dask", **reg(40), "trials": 1_000_000, "timeout": 300, "retries": 1}]
    return cases


def case_label(case: dict) -> str:
    if case["kind"] in ("startup", "fft"):
        return case["kind"]
    extra = f" {case['format']}" if case["kind"] == "e2e" else ""
    if case.get("layout") == "rows":
        extra += f" many-rows ({case['links']:,} risks)"
    if case["kind"] == "dask":
        return f"dask {case['links']:,} links x {case['trials']:,}"
    return f"{case['kind']} {case['links']:,} links x {case['trials']:,}{extra}"


def run_case(case: dict, args: argparse.Namespace, tmp: Path) -> dict:
    py = sys.executable
    if case["kind"] == "engine":
        spec = json.dumps({k: case[k] for k in ("register", "scenario", "year", "trials", "phase_limit")})
        r = run_child([py, str(Path(__file__).resolve()), "--engine-worker", spec], case["timeout"],
                      args.mem_limit_gb)
        if r["exit"] == 0 and not r["timed_out"]:
            r["engine"] = json.loads(r["stdout"].strip().splitlines()[-1])
        r.pop("stdout")
        return r
    if case["kind"] == "dask":
        spec = json.dumps({k: case[k] for k in ("register", "scenario", "year", "trials")})
        r = run_child([py, str(Path(__file__).resolve()), "--dask-worker", spec], case["timeout"],
                      args.mem_limit_gb)
        if r["exit"] == 0 and not r["timed_out"]:
            r["dask"] = json.loads(r["stdout"].strip().splitlines()[-1])
        r.pop("stdout")
        return r
    if case["kind"] == "e2e":
        cmd = [py, "-m", "climaterisk", "assess", "--register", case["register"], "--scenario",
               case["scenario"], "--trials", str(case["trials"]), "--horizon", str(case["year"]),
               "--seed", str(SEED), "--format", case["format"], "--output", str(tmp / "assess.out")]
        r = run_child(cmd, case["timeout"], args.mem_limit_gb)
        r.pop("stdout")
        r["command"] = " ".join(["python", *cmd[1:]])
        return r
    # startup and fft: the median of `repeat` runs
    cmd = ([py, "-m", "climaterisk", "--help"] if case["kind"] == "startup"
           else [py, "-m", "climaterisk", "assess", "--method", "fft", "--register", case["register"],
                 "--scenario", case["scenario"], "--horizon", str(case["year"])])
    runs = [run_child(cmd, case["timeout"], args.mem_limit_gb, stdout_path=str(tmp / "fft.out"))
            for _ in range(case["repeat"])]
    runs.sort(key=lambda x: x["wall_s"])
    r = dict(runs[len(runs) // 2])
    r.pop("stdout")
    r.update({"walls_s": [x["wall_s"] for x in runs], "command": " ".join(["python", *cmd[1:]]),
              "other_cores": max(x["other_cores"] for x in runs)})
    return r


def disturbance(r: dict) -> float:
    """The largest load from other processes over the measurements of one attempt [cores]."""
    values = [r.get("other_cores", 0.0)]
    for key in ("reference", "engine1", "engine2"):
        if key in r.get("engine", {}):
            values.append(r["engine"][key]["other_cores"])
    return max(values)


def failed(r: dict) -> bool:
    return r.get("exit") != 0 or r.get("timed_out", False)


# ----------------------------------------------------------------------------- report

def package_dir() -> Path:
    """The folder of the ``climaterisk`` package the cases import (PYTHONPATH may point to a
    pinned copy), found without importing it."""
    spec = importlib.util.find_spec("climaterisk")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else ROOT / "climaterisk"


def code_hashes() -> dict:
    """Short SHA-256 of the engine's source files: the package may change between runs."""
    hashes = {"package": str(package_dir())}
    for name in ("simulate.py", "assess.py", "portfolio.py", "streaming.py", "exact.py"):
        path = package_dir() / name
        if path.exists():
            hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return hashes


def machine_info() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    flags = re.search(r"flags\s*:\s*(.*)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        rev = ""
    return {
        "nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "cpu_flags_simd": sorted(f for f in (flags.group(1).split() if flags else [])
                                 if f.startswith(("avx", "sse4", "fma"))),
        "memory_gb": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "python": platform.python_version(), "numpy": np.__version__,
        "git": rev, "code_sha256": code_hashes(),
    }


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def markdown(results: dict) -> str:
    lines = []
    engines = [c for c in results["cases"] if c["kind"] == "engine"]
    if engines:
        lines += [
            "Engine alone (`simulate` of inherent and residual; reference = plain numpy, one core; kernel "
            "share = system CPU time / CPU time of the 1-thread engine):",
            "",
            "| links | trials | events | compile s | reference s | engine 1 thread s | events/s (1 thread) "
            "| engine / reference | kernel share | engine 2 threads s | speed-up 2 threads | chunks "
            "| other load (cores) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in engines:
            best = c.get("best") or {}
            e = best.get("engine")
            if not e:
                why = (f"timed out at {c['timeout']} s" if best.get("timed_out")
                       else (best.get("stderr_tail") or "failed").splitlines()[-1][:80])
                lines.append(f"| {c['links']:,} | {c['trials']:,} | - | - | - | {why} | | | | | | | |")
                continue
            t1, t2, ref = e["engine1"]["wall_s"], e["engine2"]["wall_s"], e["reference"]["wall_s"]
            trials = f"{e['trials_run']:,}" + ("" if e["trials_run"] == c["trials"] else
                                                f" (of {c['trials']:,})")
            comp = e["load"]["wall_s"] + e["compile"]["wall_s"]
            kernel = e["engine1"]["sys_s"] / e["engine1"]["cpu_s"]
            lines.append(
                f"| {c['links']:,} | {trials} | {e['events']:.3g} | {comp:.2f} | {ref:.2f} | {t1:.2f} | "
                f"{e['events'] / t1:.3g} | {t1 / ref:.1f}x | {kernel:.0%} | "
                f"{t2:.2f} | {t1 / t2:.2f}x | {e['engine1'].get('chunks', '-')} | {disturbance(best):.2f} |")
        lines.append("")
    dasks = [c for c in results["cases"] if c["kind"] == "dask"]
    if dasks:
        lines += [
            "Dask (`cluster.simulate_on` on a LocalCluster of worker processes with one thread each; "
            "start = cluster start-up, not in the run time):",
            "",
            "| case | start 1 worker s | 1 worker s | start 2 workers s | 2 workers s | speed-up "
            "| identical to the local engine | other load (cores) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in dasks:
            b = c.get("best") or {}
            d = b.get("dask")
            if not d:
                lines.append(f"| {case_label(c)} | failed or timed out | | | | | | |")
                continue
            w1, w2 = d["workers1"]["wall_s"], d["workers2"]["wall_s"]
            lines.append(f"| {case_label(c)} | {d['start1']['wall_s']:.1f} | {w1:.2f} | "
                         f"{d['start2']['wall_s']:.1f} | {w2:.2f} | {w1 / w2:.2f}x | "
                         f"{'yes' if d['identical'] else 'NO'} | {fmt(b.get('other_cores'))} |")
        lines.append("")
    e2e = [c for c in results["cases"] if c["kind"] in ("e2e", "fft", "startup")]
    if e2e:
        lines += [
            "End to end (fresh process each, default threads = all cores):",
            "",
            "| case | wall s | CPU s | peak memory MB | status | other load (cores) |",
            "|---|---|---|---|---|---|",
        ]
        for c in e2e:
            b = c.get("best") or {}
            if b.get("timed_out"):
                status = f"timed out at {c['timeout']} s"
                if b.get("progress"):
                    status += f" ({b['progress']:.0%} done, projected {b['wall_s'] / b['progress']:.0f} s)"
            elif b.get("exit") != 0:
                status = f"failed (exit {b.get('exit')})"
            else:
                status = "ok"
            wall = fmt(b.get("wall_s"))
            if c["kind"] in ("fft", "startup") and "walls_s" in b:
                wall = f"{b['wall_s']:.2f} (min {min(b['walls_s']):.2f})"
            lines.append(f"| {case_label(c)} | {wall} | {fmt(b.get('cpu_s'))} | "
                         f"{fmt(b.get('peak_rss_mb'), 0)} | {status} | {fmt(b.get('other_cores'))} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke check, < 1 min)")
    parser.add_argument("--out", type=Path, help="write the raw numbers to this JSON file")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "climaterisk-bench",
                        help="scratch folder for the synthetic registers (default: /tmp/climaterisk-bench)")
    parser.add_argument("--only", action="append",
                        help="run only cases whose label contains this text (repeatable)")
    parser.add_argument("--update", action="store_true",
                        help="merge into the existing --out file: the cases run replace those of the "
                        "same label (whose attempts are kept under 'superseded')")
    parser.add_argument("--max-other", type=float, default=0.3,
                        help="re-run a case when other processes used more cores than this (default 0.3)")
    parser.add_argument("--retries", type=int, default=2, help="re-runs of a disturbed case (default 2)")
    parser.add_argument("--retry-budget", type=float,
                        help="seconds the re-runs may take in all (default 150; 0 with --quick)")
    parser.add_argument("--mem-limit-gb", type=float, default=12.0,
                        help="address-space limit of every case (default 12 GB)")
    parser.add_argument("--engine-worker", help=argparse.SUPPRESS)
    parser.add_argument("--dask-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_worker:
        print(json.dumps(engine_worker(json.loads(args.engine_worker))))
        return
    if args.dask_worker:
        print(json.dumps(dask_worker(json.loads(args.dask_worker))))
        return

    start = time.monotonic()
    retry_left = args.retry_budget if args.retry_budget is not None else (0.0 if args.quick else 150.0)
    cases = plan(args.quick, args.work)
    if args.only:
        cases = [c for c in cases if any(text in case_label(c) for text in args.only)]
    for sites, layout in sorted({(c["sites"], c.get("layout", "grid")) for c in cases if "sites" in c}):
        folder = args.work / "registers" / size_name(sites, layout)
        if not (folder / "summary.json").exists():
            print(f"generating {size_name(sites, layout)} in {folder}", file=sys.stderr)
            synthetic.write(folder, sites, RISKS, layout=layout)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    results = {"started_utc": now, "quick": args.quick, "machine": machine_info(),
               "max_other": args.max_other, "cases": []}
    if args.update and args.out and args.out.exists():
        old = json.loads(args.out.read_text(encoding="utf-8"))
        if old["machine"]["code_sha256"] != results["machine"]["code_sha256"]:
            print("warning: the package code changed since the results being updated", file=sys.stderr)
        old.setdefault("updates", []).append({"utc": now, "machine": results["machine"]})
        results = old
    with tempfile.TemporaryDirectory(prefix="climaterisk-bench-") as tmp:
        for case in cases:
            attempts = []
            for attempt in range(case.get("retries", args.retries) + 1):
                t0 = time.monotonic()
                quiet = wait_quiet(args.max_other, min(15.0, retry_left) if attempt else 1.0)
                r = run_case(case, args, Path(tmp))
                if attempt:
                    retry_left -= time.monotonic() - t0
                r["attempt"], r["before_other_cores"], r["code_sha256"] = attempt, quiet, code_hashes()
                attempts.append(r)
                summary = (f"{case_label(case)}: {r['wall_s']:.1f} s, other load "
                           f"{disturbance(r):.2f} cores, load average {r['loadavg_1min']:.2f}"
                           + (" [timed out]" if r.get("timed_out") else "")
                           + (f" [exit {r['exit']}: {r['stderr_tail'][-300:]}]" if r.get("exit") else ""))
                print(summary, file=sys.stderr)
                if failed(r) or disturbance(r) <= args.max_other or r["wall_s"] + 15 > retry_left:
                    break
            label = case_label(case)
            for r in attempts:
                r["utc"] = now
            earlier = [c for c in results["cases"] if c["label"] == label]
            ok = [a for a in attempts if not failed(a)] or attempts
            entry = {**{k: v for k, v in case.items() if k not in ("register", "scenario")},
                     "label": label, "best": min(ok, key=disturbance), "attempts": attempts}
            if earlier:  # the new measurement replaces the old one, kept for the record
                entry["superseded"] = earlier[0].get("superseded", []) + earlier[0]["attempts"]
            if earlier:
                results["cases"][results["cases"].index(earlier[0])] = entry
            else:
                results["cases"].append(entry)
            if args.out:  # save as we go: a long run that is interrupted keeps what it measured
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if results.get("updates"):
        results["updates"][-1]["elapsed_s"] = time.monotonic() - start
    else:
        results["elapsed_s"] = time.monotonic() - start
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    m = results["machine"]
    print(f"\nMachine: {m['nproc']} cores ({m['cpu_model']}), Python {m['python']}, numpy {m['numpy']}, "
          f"code {m['git']}; run took {time.monotonic() - start:.0f} s\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
