"""`--cluster ADDRESS`: videos (and eval's clips) analysed on a real Dask cluster, a LocalCluster of
two worker processes: the same reports as one process, a worker killed mid-video retried, Ctrl-C
and SIGTERM stop the work on the workers, and a scheduler that can't be reached or is lost is one
sentence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis.batch import VideoTask, analyze_videos
from formcheck.analysis.cluster import ClusterError, ClusterRunner
from formcheck.cli import main
from formcheck.exercises.loader import load_by_id
from tests.analysis import pool_jobs
from tests.conftest import ROOT, SAMPLES, sample

pytest.importorskip("distributed", reason="dask.distributed is not installed (it comes with `pip install -e .`)")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the workers' CPU time in /proc")

CLIPS = ("glute_bridge_low", "plank_good")  # judged as glute bridges: three reps flagged, and none


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def cluster():
    """(scheduler address, a client to look at it) of a LocalCluster: 2 worker processes, 1 thread each."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"PYTHONPATH": str(ROOT)}) as local, Client(local, set_as_default=False) as client:
        yield local.scheduler_address, client


def _analyze(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "formcheck", "analyze", *args, "--no-progress"], env=env or _env(),
                          capture_output=True, text=True, timeout=600)


def _without_timing(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "timing"}


@pytest.fixture(scope="module")
def one_process(tmp_path_factory, model_path):
    """`analyze glute_bridge_low.mp4 plank_good.mp4 --exercise glute_bridge --jobs 1`: (out folder, stdout)."""
    out = tmp_path_factory.mktemp("jobs1") / "out"
    done = _analyze(*(str(sample(f"{c}.mp4")) for c in CLIPS), "--exercise", "glute_bridge", "--jobs", "1",
                    "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def _reports(out: Path) -> dict[str, dict]:
    return {c: _without_timing(json.loads((out / c / "report.json").read_text())) for c in CLIPS}


@pytest.mark.e2e
def test_analyze_on_a_cluster_writes_what_one_process_writes(tmp_path, cluster, one_process):
    address, _ = cluster
    folder, printed = one_process
    done = _analyze(*(str(sample(f"{c}.mp4")) for c in CLIPS), "--exercise", "glute_bridge", "--cluster", address,
                    "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.replace(str(tmp_path / "out"), "OUT") == printed.replace(str(folder), "OUT")
    alone, there = _reports(folder), _reports(tmp_path / "out")
    assert there == alone
    assert alone["glute_bridge_low"]["summary"]["reps_flagged"] == 3  # something to get right
    for clip in CLIPS:  # the very same poses, not merely the same verdicts
        one, many = np.load(folder / clip / "landmarks.npz"), np.load(tmp_path / "out" / clip / "landmarks.npz")
        assert sorted(one.files) == sorted(many.files)
        for name in one.files:
            assert np.array_equal(one[name], many[name], equal_nan=True), name


def test_a_relative_path_is_named_in_the_report_as_given(tmp_path):
    from formcheck.analysis.batch import on_cluster

    task = on_cluster([VideoTask(Path("videos/a.mp4"), Path("out/a"))])[0]
    assert task.video == Path.cwd() / "videos" / "a.mp4" and task.out_dir == Path.cwd() / "out" / "a"
    assert task.source == "videos/a.mp4"


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _busy_workers(client) -> dict[str, int]:
    """address -> pid of each worker with a task under way."""
    pids = client.run(os.getpid)
    return {addr: pids[addr] for addr, keys in client.processing().items() if keys and addr in pids}


@pytest.mark.e2e
@linux_only
def test_a_worker_killed_mid_video_has_its_video_analysed_again_with_the_same_result(cluster, one_process,
                                                                                     model_path):
    address, client = cluster
    expected = _reports(one_process[0])["glute_bridge_low"]
    killed: list[int] = []

    def kill_the_busy_worker() -> None:
        deadline, started = time.monotonic() + 120, None
        while time.monotonic() < deadline and not killed:
            busy = _busy_workers(client)
            if busy:
                pid = next(iter(busy.values()))
                started = started if started is not None else _cpu_ticks(pid)
                if _cpu_ticks(pid) - started > 150:  # 1.5 s of CPU into the video: the model is loaded, frames go
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_busy_worker)
    killer.start()
    try:
        task = VideoTask(sample("glute_bridge_low.mp4"), None, load_by_id("glute_bridge"), model_path=model_path)
        items = list(analyze_videos([task], cluster=address, progress=False))
    finally:
        killer.join()
    assert killed, "the worker never got going"
    assert killed[0] not in client.run(os.getpid).values()
    assert items[0].error is None
    assert _without_timing(items[0].result.report) == expected


@pytest.mark.e2e
@linux_only
def test_sigterm_stops_the_videos_under_way_on_the_workers(tmp_path, cluster, model_path):
    address, client = cluster
    parent = subprocess.Popen([sys.executable, "-m", "formcheck", "analyze", *(str(sample(f"{c}.mp4")) for c in CLIPS),
                               "--exercise", "glute_bridge", "--cluster", address, "--out", str(tmp_path / "out"),
                               "--no-progress"], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(busy := _busy_workers(client)) < 2:
            assert time.monotonic() < deadline, "the workers never got going"
            time.sleep(0.1)
        time.sleep(1.0)  # into the videos
        parent.terminate()
        _, err = parent.communicate(timeout=30)
    finally:
        parent.kill()
    assert parent.returncode == 130, err
    assert "interrupted (stopped by SIGTERM)" in err and "Traceback" not in err
    time.sleep(3.0)  # the tasks poll the stop event once a second
    assert set(busy.values()) <= set(client.run(os.getpid).values()), "a worker ended with the task it stopped"
    before = {pid: _cpu_ticks(pid) for pid in busy.values()}
    time.sleep(2.0)
    assert {pid: _cpu_ticks(pid) - ticks < 30 for pid, ticks in before.items()} == dict.fromkeys(before, True), \
        "a worker still analyses a video nobody waits for"


def _squat_labels(tmp_path: Path) -> Path:
    truth = json.loads((SAMPLES / "squat_good.json").read_text())
    reps = ", ".join(f'{{ start = {r["start_s"]}, turn = {r["peak_s"]}, end = {r["end_s"]}, faults = ["clean"] }}'
                     for r in truth["reps"])
    path = tmp_path / "labels.toml"
    path.write_text(f'version = 1\n[[clip]]\nfile = "squat_good.mp4"\nexercise = "squat"\nreps = [{reps}]\n')
    return path


@pytest.mark.e2e
def test_eval_on_a_cluster_gives_the_figures_one_process_gives(tmp_path, capsys, cluster, model_path):
    address, _ = cluster
    labels = _squat_labels(tmp_path)
    docs, tables = [], []
    for where in (["--jobs", "1"], ["--cluster", address]):
        out = tmp_path / f"{where[0][2:]}.json"
        assert main(["eval", str(labels), "--clips", str(SAMPLES), *where, "--json", str(out)]) == 0
        tables.append(capsys.readouterr().out.splitlines())
        docs.append(json.loads(out.read_text()))
    for doc in docs:
        for clip in doc["clips"]:
            del clip["elapsed_s"]
    one, there = docs
    assert (there["clips"], there["totals"], there["by_source"]) == (one["clips"], one["totals"], one["by_source"])
    assert one["clips"][0]["engine"] == 3 and one["totals"]["figures"]["count_exact"] == 1.0
    assert there["settings"]["cluster"] == address and "cluster" not in one["settings"]
    assert tables[1][:-3] == tables[0][:-3]  # the last lines: where it ran, how long, where it was written
    assert "1 clips in " in tables[1][-2] and tables[1][-2].endswith(f"on the cluster at {address}")


# ---- a scheduler that can't be reached, or is lost -------------------------------------------------


@pytest.mark.parametrize("address, why", [("tcp://127.0.0.1:9", "Timed out trying to connect to tcp://127.0.0.1:9"),
                                          ("nowhere", "missing port number in address 'nowhere'")])
def test_a_scheduler_that_cannot_be_reached_is_one_sentence(address, why):
    done = _analyze(str(sample("squat_good.mp4")), "--cluster", address)
    assert done.returncode == 2
    assert done.stderr.startswith(f"formcheck: Could not reach the Dask scheduler at {address} ({why}")
    assert done.stderr.endswith("check the address and that `dask scheduler` runs there.\n")
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_record_and_cluster_are_refused_together_before_connecting(tmp_path):
    done = _analyze(str(sample("squat_good.mp4")), "--record", "--cluster", "tcp://127.0.0.1:9",
                    env=_env(FORMCHECK_DATA_DIR=str(tmp_path)))
    assert done.returncode == 2
    assert done.stderr == ("formcheck: --record can't be used with --cluster: sessions are saved in this computer's "
                           "database, which the cluster's workers don't write to.\n")


def test_jobs_and_cluster_are_refused_together(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["analyze", "--jobs", "2", "--cluster", "tcp://127.0.0.1:9"])
    assert stopped.value.code == 2
    assert "argument --cluster: not allowed with argument --jobs" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_lost_during_the_run_is_one_sentence(tmp_path):
    dask = Path(sys.executable).parent / "dask"
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 env=_env(), **quiet)
    worker = subprocess.Popen([str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"],
                              env=_env(POOL_TEST_DIR=str(tmp_path)), **quiet)

    def kill_the_scheduler_once_the_task_runs() -> None:
        deadline = time.monotonic() + 60
        while not any(tmp_path.iterdir()) and time.monotonic() < deadline:  # sleep_then_pid says "working"
            time.sleep(0.1)
        scheduler.kill()

    killer = threading.Thread(target=kill_the_scheduler_once_the_task_runs)
    try:
        deadline = time.monotonic() + 60
        while scheduler.poll() is None:
            try:
                runner = ClusterRunner(pool_jobs.sleep_then_pid, address)
                break
            except ClusterError:  # still starting
                assert time.monotonic() < deadline, "the scheduler never started"
        killer.start()
        with pytest.raises(ClusterError) as lost, runner:
            list(runner.as_completed([60]))
        assert str(lost.value) == (f"Lost the Dask scheduler at {address} during the run (it stopped, or the network "
                                   "went down); what is not reported above was not analysed.")
    finally:
        scheduler.kill()
        worker.kill()
        scheduler.wait()
        worker.wait()
        if killer.is_alive():
            killer.join()
