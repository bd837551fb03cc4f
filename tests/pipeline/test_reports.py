"""Reports from a recorded session: HTML parsed, CSV read back, JSON, user text escaped."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.pipeline.analyze import analyze_video
from formcheck.pipeline.pose import PoseEstimator
from formcheck.pipeline.recorder import SessionRecorder
from formcheck.pipeline.reports import report_csv, report_html, report_json
from formcheck.pipeline.store import Store
from tests.conftest import sample

EVIL = "<script>alert('x')</script> & hips"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, model_path):
    store = Store(tmp_path_factory.mktemp("data") / "formcheck.db")
    ids = []
    with PoseEstimator(model_path) as est:
        for clip in ("glute_bridge_low", "glute_bridge_good"):
            video = sample(f"{clip}.mp4")
            result = analyze_video(video, None, exercise="glute_bridge", progress=False, estimator=est,
                                   tracker=ExerciseTracker(load_by_id("glute_bridge")),
                                   record=lambda v=video: SessionRecorder(store, EVIL, str(v), "file"))
            ids.append(result.session_id)
    first_fault = store.session_detail(ids[0])["sets"][0]["reps"][0]["faults"][0]["id"]
    store.set_verdict(first_fault, agree=False)
    rep_id = store.session_detail(ids[0])["sets"][0]["reps"][0]["id"]
    store.add_note(ids[0], EVIL, rep_id=rep_id)
    yield store, ids
    store.close()


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escapes_user_text(recorded):
    store, ids = recorded
    page = report_html(store, ids)
    parsed = Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags  # the note and the name stay text
    text = " ".join(parsed.text)
    assert EVIL in text
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    # progress plot + two angle curves + three thumbnails of the flagged low bridges
    assert len(parsed.images) == 1 + 2 + 3
    assert "therapist disagrees" in text and "Lift your hips higher" in text


def test_csv_reads_back(recorded):
    store, ids = recorded
    rows = list(csv.DictReader(io.StringIO(report_csv(store, ids))))
    assert len(rows) == 6  # three flagged reps (one fault each) + three clean reps
    flagged = [r for r in rows if r["fault_code"]]
    assert {r["fault_code"] for r in flagged} == {"bridge_not_high_enough"}
    assert flagged[0]["therapist_agrees"] == "no" and flagged[0]["notes"] == EVIL
    assert all(float(r["end_s"]) > float(r["start_s"]) for r in rows)


def test_json_has_the_sessions(recorded):
    store, ids = recorded
    data = json.loads(report_json(store, ids))
    assert [d["id"] for d in data] == ids
    assert [len(d["sets"][0]["reps"]) for d in data] == [3, 3]
    assert data[0]["sets"][0]["ended_by"] == "video_end"
