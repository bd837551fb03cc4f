"""Therapist review and replay of recorded sessions, one module per pane.

Sessions per person (date, exercise, reps done vs prescribed, flagged, pain stops) with filters
(``sessions``); the selected session's reps as a timeline, flagged ones highlighted (``reps``); a
player that replays the session's video with the recorded skeleton and cues (play/pause, scrub,
frame steps, jump to the next/previous flagged rep; ``player``) beside the primary-angle curve with
the thresholds, or a flag's evidence (``curve``); every reviewer's verdict on each flag,
agree/disagree as this reviewer (``records.reviewer``) and a free-text note, saved (``flags``); the
thresholds tuned for the person with the session re-judged at once (``tuning``); progress,
adherence and posture at the desk (``overview``, ``posture``); any video file analysed and recorded
(``analyse``). ``window`` wires them; Export writes the HTML report.
"""
