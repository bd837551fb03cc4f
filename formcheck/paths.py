"""Where formcheck keeps things on this computer: the one place that knows the user folders.

Each folder can be moved with an environment variable (tests, a second profile, a shared clinic
drive); otherwise it is the platform's per-user folder (platformdirs: XDG on Linux, Application
Support on macOS, AppData on Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "formcheck"


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def user_data_root() -> Path:
    """Per-user data folder (sessions, models, personal exercises)."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def data_dir() -> Path:
    """The session database and session folders: $FORMCHECK_DATA_DIR, else <user data>/data."""
    return _from_env("FORMCHECK_DATA_DIR", user_data_root() / "data")


def user_models_dir() -> Path:
    """Pose models when the code is not a checkout with its own models/ folder."""
    return user_data_root() / "models"


def user_exercises_dir() -> Path:
    """Custom exercise files, listed beside the built-in ones: $FORMCHECK_EXERCISES_DIR, else
    <user data>/exercises."""
    return _from_env("FORMCHECK_EXERCISES_DIR", user_data_root() / "exercises")


def config_dir() -> Path:
    """The app's settings file: $FORMCHECK_CONFIG_DIR, else the platform's config folder."""
    return _from_env("FORMCHECK_CONFIG_DIR", Path(platformdirs.user_config_dir(APP, appauthor=False)))


def calibration_dir() -> Path:
    """Personal calibration: people's profiles (every version kept) and each camera's placement
    check: <data folder>/calibration, beside the sessions they were measured on."""
    return data_dir() / "calibration"
