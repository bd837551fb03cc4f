"""The curve beside the replay: a clean rep's primary angle with the exercise's thresholds, or for a
flag its evidence: the measure that fired, its threshold, the fault's moment and where the replay
stands."""

from __future__ import annotations

import dataclasses

import numpy as np

from formcheck.records.database.rows import FaultDetail, RepDetail, SessionDetail, SetDetail
from formcheck.reports.evidence import Curve, evidence, evidence_plot
from formcheck.reports.session_report import angle_plot, exercise_thresholds, judged_with
from formcheck.ui.review.image_label import ImageLabel

PICK_REP = "Pick a rep to see its curve"


class CurvePane(ImageLabel):
    def clear_rep(self) -> None:
        self.set_png(None)
        self.setText(PICK_REP)

    def show_rep(self, track: np.ndarray, st: SetDetail, rep: RepDetail) -> None:
        """An unflagged rep's primary angle, 2 s either side (a flagged one shows its flag's evidence)."""
        measure, lines = exercise_thresholds(st)
        if measure and len(track) and not rep.faults:
            focus = dataclasses.replace(st, started_s=max(st.started_s, rep.start_s - 2), ended_s=rep.end_s + 2,
                                        reps=(rep,))
            self.set_png(angle_plot(track, focus, measure, lines))

    def show_fault(self, detail: SessionDetail, st: SetDetail, rep: RepDetail, fault: FaultDetail,
                   track: np.ndarray, now_s: float) -> Curve | None:
        """The evidence for ``fault`` with the replay at ``now_s``; returns the curve shown (None
        when there is none to show)."""
        curve, _label = evidence(detail, st, rep, fault, track, judged_with(st))
        if curve is None or not len(curve.t_s):
            return None
        self.set_png(evidence_plot(curve, fault.t_s, now_s, span=(rep.start_s, rep.end_s)))
        return curve
