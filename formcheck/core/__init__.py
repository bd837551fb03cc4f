"""The pure engine: landmarks, joint angles and views, smoothing, the exercise definitions' types,
reps, holds, rules, the live coach and the posture judge, with explicit time (``t_ms``) and typed
packets. numpy only: no OpenCV, MediaPipe, Qt, files or clocks, so every rule is testable by itself.

May import: ``formcheck.untrusted`` and ``formcheck.paths`` only (and, in practice, neither).
"""
