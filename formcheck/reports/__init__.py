"""What a therapist reads: a recorded session as JSON, CSV, a self-contained HTML page or a FHIR
Bundle; the evidence behind a flag (curve, frame); adherence to a programme; the plots.

May import: ``formcheck.records``, ``formcheck.video``, ``formcheck.exercises``, ``formcheck.core``
and the bottom modules. Never the analysis, the ui or the cli.
"""
