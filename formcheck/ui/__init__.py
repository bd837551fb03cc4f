"""The desktop app: the only package that imports PySide6. Windows, panes and the session controller
that drives the per-frame runner on a worker thread.

May import: every package but ``formcheck.cli``.
"""
