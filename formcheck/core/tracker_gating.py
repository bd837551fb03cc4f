"""The tracker's set-up gate, frame after frame: is the person in frame and seen well enough to go
on, how long a set-up problem has lasted, where the camera is, and which rules its view can judge.

``gating`` judges one frame; this follows those verdicts over time for one ``ExerciseTracker``.
"""

from __future__ import annotations

from collections import Counter

from formcheck.core.cues import CueCandidate
from formcheck.core.exercise import SEVERITY_SETUP, ExerciseDef, RuleDef
from formcheck.core.gating import SetupIssue, ViewVote, parts_read, setup_issue
from formcheck.core.holds import HoldRecord
from formcheck.core.kinematics import Side, ViewEstimate
from formcheck.core.landmarks import PoseResult
from formcheck.core.reps import RepRecord

# A set-up problem that lasts longer than this abandons the rep or hold in progress.
GATE_GRACE_MS = 1000
# While a set runs, only the trunk must be seen to go on counting: a limb out of the picture is
# "not judged" and cued, and the reps are counted from what the counter can see.
TRUNK = ("shoulder", "hip")
_VIEW_WORDS = {"side": "side-on", "front": "facing the camera", "back": "with your back to the camera"}
_TURN = {"side": "Turn side-on", "front": "Face the camera", "back": "Turn your back to the camera"}


def setup_cue(issue: SetupIssue) -> CueCandidate:
    return CueCandidate(issue.key, issue.text, SEVERITY_SETUP, "setup")


class SetupGate:
    """One tracker's set-up verdicts over time, and what its camera view can judge."""

    def __init__(self, exercise: ExerciseDef) -> None:
        self.exercise = exercise
        self._views = ViewVote()
        self.camera_view: str | None = None  # where the camera is, as seen before the movement
        self._stopped_since: int | None = None
        self._unclear: SetupIssue | None = None  # this frame's "seen but unclear", said but no stop
        self.issues: Counter[str] = Counter()  # set-up problems while the set ran, by frames
        self.frames = 0  # frames while the set ran
        self._view_told = False  # the person was told how to let the view-gated rules be judged

    def begin_set(self) -> None:
        self.issues.clear()
        self.frames = 0
        self._view_told = False

    def check(self, result: PoseResult, view: ViewEstimate | None, side: Side, *, moving: bool,
              counting: bool) -> SetupIssue | None:
        """This frame's set-up problem that stops the form checks, or None to go on. ``moving``: a
        rep or hold is under way, so the camera view is not checked (the body turns in a twist, an
        oblique plank, and the view estimate wobbles, but the camera hasn't moved)."""
        t = result.t_ms
        voted_view = self._views.add(t, view)
        setup = self.exercise.setup
        # Before a set, the whole body must be in view; during one, the trunk (see ``TRUNK``).
        needed = tuple(j for j in TRUNK if setup is not None and j in setup.landmarks) if counting else None
        issue = setup_issue(result, None if moving else voted_view, setup, side, needed)
        self._unclear = None
        if counting and issue is not None and issue.key == "not_visible":
            # Seen but unclear (dim, a close-up): said, but not a stop — the counters skip what
            # they can't read, and the rules say "not judged".
            self._unclear, issue = issue, None
        if not moving and voted_view is not None:
            self.camera_view = voted_view
        if counting:
            self.frames += 1
        if issue is None:
            self._stopped_since = None
        else:
            self._stopped_since = t if self._stopped_since is None else self._stopped_since
            if counting:
                self.issues[issue.text] += 1
        return issue

    def gave_up(self, t: int) -> bool:
        """A set-up problem has lasted long enough to abandon the rep or hold under way."""
        return self._stopped_since is not None and t - self._stopped_since >= GATE_GRACE_MS

    def counting_cue(self, result: PoseResult, side: Side) -> CueCandidate | None:
        """While a set runs on: a limb out of the picture, else a joint seen but unclear."""
        framing = setup_issue(result, None, self.exercise.setup, side)
        if framing is not None and framing.key == "out_of_frame":
            self.issues[framing.text] += 1
            return CueCandidate("framing", framing.text, SEVERITY_SETUP, "setup")
        return setup_cue(self._unclear) if self._unclear is not None else None

    # ---- what the camera's view can judge -----------------------------------------------------
    def judges(self, rule: RuleDef) -> bool:
        """The rule is one for where the camera is (checks for another view simply don't apply:
        the set-up chose the view, and what it can show is what is judged)."""
        return not rule.views or self.camera_view in rule.views

    def blocked(self) -> list[RuleDef]:
        """The rules the camera's view can't judge (knees past the toes, seen from the front)."""
        view = self.camera_view
        return [r for r in self.exercise.rules if r.views and view is not None and view not in r.views]

    def note_unseen_by_view(self, rec: RepRecord | HoldRecord, rep: bool) -> None:
        """Every rule the view can't judge is "not judged" on the rep or hold, with the reason."""
        for rule in self.blocked():
            if rule.code in rec.faults or (rule.phase == "hold") == rep and rule.phase != "always":
                continue
            views = " or ".join(_VIEW_WORDS[v] for v in rule.views)
            rec.not_judged.setdefault(rule.code, f"needs the camera to see you {views} "
                                                 f"(it sees you from the {self.camera_view})")

    def view_cue(self) -> list[CueCandidate]:
        """Once a set: how to let the rules this view can't judge be judged — turning to the view
        the exercise is meant for ("Turn side-on so I can check your knees")."""
        setup = self.exercise.setup
        if self._view_told or setup is None or not setup.views:
            return []
        best = setup.views[0]
        blocked = [r for r in self.blocked() if best in r.views]
        if not blocked:
            return []
        measures = self.exercise.measures
        what = list(dict.fromkeys(r.looks_at or f"your {parts_read(measures, r.measure or '')}" for r in blocked))
        text = f"{_TURN[best]} so I can check {', '.join(what[:-1]) + ' and ' if len(what) > 1 else ''}{what[-1]}"
        return [CueCandidate(f"view:{best}", text, SEVERITY_SETUP, "setup")]

    def view_told(self) -> None:
        self._view_told = True
