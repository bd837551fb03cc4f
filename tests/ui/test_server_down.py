"""The app on a clinic's machine whose PostgreSQL server is down when it starts (the URL pointed at
a socket no server listens on): the window opens and says so once, the person's exercise is
coached as ever, the session is saved to its folder and told once above the video (the banner
keeps coaching), and it is in the clinic's records once the server is back."""

from __future__ import annotations

import json

import pytest

from formcheck.records.database.pending import PENDING_MARK
from formcheck.records.recorder import STARTED_OFFLINE
from formcheck.records.store import Store
from tests.conftest import sample
from tests.postgres_server import PASSWORD
from tests.records.scripted_sessions import Done, record
from tests.ui.conftest import make_window, open_video_with_keys, press, said
from tests.ui.test_flows import KEY, WAIT_MS, assert_plain, choose_in_list, seen, with_dose

pytestmark = pytest.mark.gui
DATABASE_URL_ENV = "FORMCHECK_DATABASE_URL"


def test_a_session_started_while_the_server_is_down_is_coached_saved_and_told_once(
        qtbot, tmp_path, model_path, postgres_url, monkeypatch):
    shared = tmp_path / "shared"
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(shared))
    store = Store()
    record(store, "me", [Done("glute_bridge", [False])])  # an earlier session, with the server up
    store.close()
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url.replace("port=5432", "port=5999"))
    w = make_window(qtbot, tmp_path, model_path, [], store_factory=Store)
    c = w.controller
    notices: list[str] = []
    c.notice.connect(notices.append)
    assert c.store is None and c.store_problem is not None and "Can't reach the clinic's database server" in c.store_problem
    assert w.statusBar().currentMessage() == c.store_problem and PASSWORD not in c.store_problem
    assert w.today.title.text() == "Your programme can't be read right now — pick your exercises under \"All exercises\"."

    with_dose(w, "glute_bridge", sets=2, reps=1, rest_s=3.0)
    choose_in_list(qtbot, w, "Glute bridge")
    press(qtbot, KEY.Key_Return)
    open_video_with_keys(qtbot, sample("glute_bridge_good.mp4"))
    qtbot.waitUntil(lambda: w.notice.isVisible() and w.notice.label.text() == STARTED_OFFLINE, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.summary.text() != "", timeout=5000)  # the window is told after the coach
    assert w.summary.text() == "Glute bridge: 2 set(s)\n  Set 1: 1 rep\n  Set 2: 1 rep"
    assert "Set 1 done. Well done. Rest 3 seconds." in said(w) and said(w)[-1] == "Exercise finished. Well done."
    qtbot.waitUntil(lambda: w.banner.text() == "Exercise finished", timeout=5000)  # the banner kept coaching
    assert STARTED_OFFLINE not in seen(w) and STARTED_OFFLINE not in said(w)
    assert notices == [STARTED_OFFLINE]  # once
    assert_plain([STARTED_OFFLINE, w.today.title.text()])
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.close_source()

    (folder,) = [p.parent for p in shared.glob(f"sessions/*/{PENDING_MARK}")]
    meta = json.loads((folder / "session.json").read_text())
    assert meta["person"] == "me" and meta["kind"] == "file" and meta["status"] == "complete"
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)  # the server is back: the next start indexes it
    store = Store()
    offline = [s for s in store.sessions("me") if s.folder == folder]
    assert len(store.sessions("me")) == 2 and len(offline) == 1
    assert [(st.number, len(st.reps)) for st in store.session_detail(offline[0].id).sets] == [(1, 1), (2, 1)]
    assert not (folder / PENDING_MARK).exists()
    store.close()
    for path in shared.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
