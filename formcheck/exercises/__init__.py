"""The exercise library: the built-in TOML definitions, their checked loader, stored snapshots of a
definition, calibration profiles and programme files.

May import: ``formcheck.core``, ``formcheck.untrusted``, ``formcheck.paths``.
"""
