"""Everything runs locally: analysing a video and a live session open no network connection.

The processes run under ``strace -f`` (every thread and child), so native code is watched too:
MediaPipe's usage logger posts from its own C++ thread with its own libcurl, which no Python-level
audit hook (``sys.addaudithook`` "socket.connect", a patched ``socket.socket``) would see.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from formcheck.pose import model_store, telemetry
from tests.conftest import ROOT, sample

# A connection to (or datagram for) an internet address: DNS, the usage logger, anything.
_OUTBOUND = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(.*sa_family=AF_INET6?\b")
# Name lookups that go through a local service rather than straight to a DNS server.
_RESOLVER_SOCKETS = ("/run/systemd/resolve/",)


def outbound_calls(trace: str) -> list[str]:
    """The strace lines that reach the network or look a name up."""
    def resolver(line: str) -> bool:
        return bool(re.search(r"\bconnect\(", line)) and any(s in line for s in _RESOLVER_SOCKETS)

    return [line for line in trace.splitlines() if _OUTBOUND.search(line) or resolver(line)]


def explain(trace: str, calls: list[str]) -> str:
    """Each offending line with the next two lines of its thread (a DNS query shows its name)."""
    lines = trace.splitlines()
    shown = []
    for call in calls:
        at, tid = lines.index(call), call.split()[0]
        shown += [call, *[line for line in lines[at + 1 :] if line.split()[:1] == [tid]][:2], ""]
    return "network use:\n" + "\n".join(shown)


def _strace() -> str:
    """The strace command, checked to work here; CI must have it (tools/install_system_deps.sh)."""
    exe = shutil.which("strace")
    if exe is None:
        problem = "strace is not installed"
    else:
        probe = subprocess.run([exe, "-f", "-e", "trace=network", "-o", os.devnull, "true"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return exe
        problem = f"strace cannot trace here ({probe.stderr.strip()})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{problem}; the privacy tests need it (tools/install_system_deps.sh installs it).")
    pytest.skip(f"{problem}; install strace to run the privacy tests")


def run_traced(
    args: list[str], tmp_path: Path, model_path: Path, timeout: int = 300
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``python args`` under strace with a user's plain environment (no proxy settings)."""
    log = tmp_path / "strace.log"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", FORMCHECK_MODELS_DIR=str(model_path.parent),
        FORMCHECK_DATA_DIR=str(tmp_path / "data"), FORMCHECK_CONFIG_DIR=str(tmp_path / "config"),
    )
    cmd = [_strace(), "-f", "-qq", "-e", "trace=network", "-e", "signal=none", "-s", "48", "-o", str(log),
           sys.executable, *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return done, log.read_text(errors="replace")


@pytest.mark.e2e
def test_analyze_opens_no_network_connection(tmp_path, model_path):
    out = tmp_path / "out"
    done, trace = run_traced(
        ["-m", "formcheck", "analyze", str(sample("squat_good.mp4")), "--exercise", "squat", "--out", str(out),
         "--no-progress"],
        tmp_path, model_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads((out / "report.json").read_text())["reps"]) == 3  # it really ran the model
    calls = outbound_calls(trace)
    assert not calls, explain(trace, calls)


# The real app (run_app, its window, controller, worker thread, live-mode pose and recorder) on
# the bundled clip; quits when the clip has ended and prints what the session counted.
LIVE_SESSION = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from formcheck.ui.app import run_app
from formcheck.ui.main.window import MainWindow

app = QApplication(sys.argv[:1])
started = time.monotonic()
seen_frames = 0

def poll():
    global seen_frames
    window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
    c = window.controller if window is not None else None
    if c is not None and c.latest is not None:
        seen_frames = max(seen_frames, c.latest.output.frame.index + 1)
    ended = seen_frames > 0 and not c.running
    if ended or time.monotonic() - started > 120:
        reps = c.last.counts.get("all", 0) if c is not None and c.last is not None else 0
        print(json.dumps({"frames": seen_frames, "reps": reps}), flush=True)
        window.close()  # stops the session the way the user does: the worker closes the model
        app.quit()
    else:
        QTimer.singleShot(100, poll)

QTimer.singleShot(100, poll)
sys.exit(run_app(video=Path(sys.argv[1]), exercise="squat"))
"""


@pytest.mark.e2e
@pytest.mark.gui
def test_live_session_opens_no_network_connection(tmp_path, model_path):
    done, trace = run_traced(["-c", LIVE_SESSION, str(sample("squat_good.mp4"))], tmp_path, model_path)
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout.strip().splitlines()[-1])
    assert session["frames"] > 100 and session["reps"] >= 1  # the live pipeline really ran
    calls = outbound_calls(trace)
    assert not calls, explain(trace, calls)


def test_outbound_calls_catch_dns_and_connections_but_not_local_sockets():
    trace = "\n".join([
        '9 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
        '9 sendto(5, "\\331M\\1\\0", 37, MSG_NOSIGNAL, {sa_family=AF_INET6, sin6_port=htons(53)}, 28) = 37',
        '9 connect(3, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42) = 0',
        '9 connect(4, {sa_family=AF_UNIX, sun_path="/tmp/.X11-unix/X0"}, 20) = 0',
        "9 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 6",  # a probe for IPv4 support: sends nothing
        '9 sendmsg(4, {msg_name=NULL, msg_iov=[{iov_base="l\\1"}]}, MSG_NOSIGNAL) = 12',
    ])
    assert [line.split()[1].split("(")[0] for line in outbound_calls(trace)] == ["connect", "sendto", "connect"]


def test_model_download_still_uses_the_users_proxy(tmp_path, monkeypatch):
    """Blocking MediaPipe's uploads goes through the proxy variables; our own download must
    still reach the internet the way the user set it up."""
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_CONNECT(self):  # noqa: N802 - urllib tunnels https through the proxy
            seen.append(self.path)
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args):
            pass

    proxy = http.server.HTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setattr(telemetry, "_user_proxy_vars", {"https_proxy": f"http://127.0.0.1:{proxy.server_port}"})
    telemetry.block_mediapipe_telemetry()
    try:
        with pytest.raises(model_store.ModelError):
            model_store._download(model_store.OFFICIAL_URL.format(variant="lite"), tmp_path / "lite.task", False)
    finally:
        proxy.shutdown()
    assert os.environ["https_proxy"] == telemetry.BLOCKING_PROXY  # what libcurl in MediaPipe sees
    assert seen == ["storage.googleapis.com:443"]
