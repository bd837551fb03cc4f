"""The recorded sessions: ``formcheck report``, ``formcheck sessions`` and ``formcheck repair``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    r = sub.add_parser("report", help="report of recorded sessions (html, csv or json)")
    r.add_argument("session", type=int, nargs="?", help="session number (see `formcheck sessions`)")
    r.add_argument("--person", help="all sessions of this person, with progress")
    r.add_argument("--format", choices=("html", "csv", "json", "fhir"), default="html",
                   help="fhir: a FHIR R4 JSON Bundle (CarePlan, ServiceRequest, Observation)")
    r.add_argument("--out", type=Path, help="file to write (default: print)")
    r.set_defaults(run=report)

    ss = sub.add_parser("sessions", help="list recorded sessions")
    ss.add_argument("--person", help="only this person's sessions")
    ss.set_defaults(run=sessions)

    sub.add_parser("repair", help="rebuild the session database from the session folders").set_defaults(run=repair)


def report(args: argparse.Namespace) -> int:
    from formcheck.records.database.connection import StoreError
    from formcheck.records.store import Store
    from formcheck.reports.session_report import write_report

    store = Store()
    try:
        if args.person is not None:  # any saved name, even one an earlier version let be blank
            ids = [s.id for s in store.sessions(args.person)]
            if not ids:
                raise StoreError(f"No sessions recorded for {args.person!r}; `formcheck sessions` lists who has some.")
        elif args.session is not None:
            ids = [store.session(args.session).id]
        else:
            raise StoreError("Give a session number or --person NAME; `formcheck sessions` lists them.")
        text = write_report(store, ids, args.format, args.out)
    finally:
        store.close()
    print(f"wrote {args.out}" if args.out else text, end="\n" if args.out else "")
    return 0


def sessions(args: argparse.Namespace) -> int:
    from formcheck.records.store import Store

    store = Store()
    try:
        rows = store.sessions(args.person)
        for s in rows:
            detail = store.session_detail(s.id)
            exercises = ", ".join(sorted({st.exercise for st in detail.sets})) or "-"
            reps = sum(1 for st in detail.sets for r in st.reps if not r.attempt)
            flagged = sum(1 for st in detail.sets for r in st.reps if r.faults)
            print(f"{s.id:5d}  {s.started}  {s.person:16s} {exercises:24s} {reps:3d} reps  {flagged:3d} flagged  "
                  f"{len(detail.pain_stops)} pain stops  {s.status}")
        if not rows:
            print("no sessions recorded yet")
    finally:
        store.close()
    return 0


def repair(_args: argparse.Namespace) -> int:
    from formcheck.records.database.location import database_location
    from formcheck.records.repair import repair as rebuild

    result = rebuild(database_location())  # the data folder's file, or FORMCHECK_DATABASE_URL's server
    print(result.text())
    return 1 if result.skipped else 0
