"""Argument types and defaults more than one command shares."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What each command module's add_parser(sub) receives: the top parser's subcommands.
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_SAMPLE = Path(__file__).resolve().parents[2] / "sample_videos" / "squat_good.mp4"


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def person(text: str) -> str:
    from formcheck.records.database.connection import StoreError
    from formcheck.records.database.people import person_name

    try:
        return person_name(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a date like 2026-11-02, got {text!r}") from exc
