"""Measuring the engine: ``formcheck eval`` (label files, matching reps and holds to labels, the
figures) and ``formcheck bench`` (model alone vs the full pipeline).

May import: everything below the ui (``analysis``, ``reports``, ``records``, ``pose``, ``video``,
``exercises``, ``core``).
"""
