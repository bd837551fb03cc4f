"""The pose model: the MediaPipe adapter (the only code that touches MediaPipe), provisioning of the
model bundle (find, verify, download, or build it from PyPI's wheel) and the block on MediaPipe's
usage telemetry.

May import: ``formcheck.core``, ``formcheck.untrusted``, ``formcheck.paths``; MediaPipe.
"""
