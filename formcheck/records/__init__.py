"""What is kept: the session database (``store``, the one class callers use, composing the parts in
``database``: connection, schema and migrations, queries), the recorder that writes a
session as it happens, each session's own folder (the durable record), the landmark track, repair
from the folders, programme versions, posture records and bundles in and out.

May import: ``formcheck.video``, ``formcheck.pose`` (types only), ``formcheck.exercises``,
``formcheck.core``, ``formcheck.untrusted``, ``formcheck.paths``. Never the analysis or the reports.
"""
