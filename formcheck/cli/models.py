"""``formcheck models``: download or build the pose model bundles."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    m = sub.add_parser("models", help="download or build the pose model(s)")
    m.add_argument("variants", nargs="*", help="lite, full, heavy (default: full)")
    m.add_argument("--force", action="store_true", help="provision again even if present")
    m.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.pose.model_store import run_models_command

    return run_models_command(args.variants or None, args.force)
