"""Running the engine over frames: the per-frame runner every shell shares, ``formcheck analyze``
(one video, or a batch on worker processes or a Dask cluster), re-judging a recorded session from its track,
calibration runs and the posture mode's pipeline.

May import: ``formcheck.records``, ``formcheck.pose``, ``formcheck.video``, ``formcheck.exercises``,
``formcheck.core`` and the bottom modules. Never the reports, the ui or the cli.
"""
