"""formcheck: camera-based form checking for back-pain exercises."""

__version__ = "0.1.0"
