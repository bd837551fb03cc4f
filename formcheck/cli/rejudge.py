"""``formcheck rejudge``: judge a recorded session again from its landmark track, without the model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    rj = sub.add_parser("rejudge", help="re-judge a recorded session from its landmark track (no model run)")
    rj.add_argument("session", type=int, help="session number (see `formcheck sessions`)")
    rj.add_argument("--profile", type=Path, help="judge with this calibration profile instead of the thresholds "
                    "the session was judged with")
    rj.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.analysis.rejudge import rejudge_session, report_text
    from formcheck.exercises.profile import read_profile
    from formcheck.records.store import Store

    profile = read_profile(args.profile) if args.profile is not None else None
    store = Store()
    try:
        session = store.session(args.session)
    finally:
        store.close()
    print(f"session {session.id}: {session.person}, {session.source}, {session.started}")
    print(report_text(rejudge_session(session.folder, profile)))
    return 0
