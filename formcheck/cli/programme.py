"""``formcheck programme``: a person's home programme: import, export, show, confirm, progress (versions are kept)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli.args import person

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    pg = sub.add_parser("programme", help="a person's home programme (versions are kept)")
    pg.set_defaults(run=run)
    pgs = pg.add_subparsers(dest="action", required=True)
    pi = pgs.add_parser("import", help="save a programme file as the person's next version")
    pi.add_argument("file", type=Path)
    pi.add_argument("--person", type=person, required=True)
    pe = pgs.add_parser("export", help="write the current version as a commented TOML file")
    pe.add_argument("--person", type=person, required=True)
    pe.add_argument("--out", type=Path, help="file to write (default: print)")
    pw = pgs.add_parser("show", help="the current version, adherence and proposed progression")
    pw.add_argument("--person", type=person, required=True)
    pc = pgs.add_parser("confirm", help="make the programme version(s) that came in a bundle the current one")
    pc.add_argument("--person", type=person, required=True)
    pp = pgs.add_parser("progress", help="propose dose changes from the progression rule")
    pp.add_argument("--person", type=person, required=True)
    pp.add_argument("--confirm", action="store_true", help="save the proposed changes as a new version")


def run(args: argparse.Namespace) -> int:
    from formcheck.core.programme import apply_proposals, propose
    from formcheck.exercises.loader import load_library
    from formcheck.exercises.programme_file import dumps, load
    from formcheck.records import programme_store
    from formcheck.records.database.connection import StoreError
    from formcheck.records.store import Store

    store = Store()
    try:
        if args.action == "import":
            programme = load(args.file, set(load_library().exercises), person=args.person)
            saved, new = programme_store.save(store, programme)
            print(f"saved {args.person}'s programme as {saved.label()}" if new
                  else f"{args.person}'s programme is unchanged ({saved.label()}); nothing saved")
            return 0
        if args.action == "confirm":
            waiting = programme_store.pending(store, args.person)
            if not waiting:
                raise StoreError(f"{args.person!r} has no programme version waiting to be confirmed.")
            for p in waiting:
                confirmed = programme_store.confirm(store, p.uid)
            print(f"confirmed: {args.person}'s current programme is now {confirmed.label()} ({confirmed.created})")
            return 0
        current = programme_store.current_programme(store, args.person)
        if current is None:
            raise StoreError(f"{args.person!r} has no programme yet; `formcheck programme import FILE --person NAME` "
                             "saves one")
        if args.action == "export":
            text = dumps(current)
            if args.out:
                args.out.write_text(text, encoding="utf-8")
                print(f"wrote {args.out} ({current.label()})")
            else:
                print(text, end="")
            return 0
        proposals = propose(current, programme_store.outcomes(store, current))
        if args.action == "show":
            from formcheck.reports.adherence import adherence

            print(current.text())
            print(adherence(store, args.person).text())
        lines = [f"  proposed: {p.text()}" for p in proposals] or ["  no change proposed by the progression rule"]
        print("\n".join(lines))
        if args.action == "progress" and args.confirm and proposals:
            saved, _ = programme_store.save(store, apply_proposals(current, proposals))
            print(f"confirmed: saved as {saved.label()}")
    finally:
        store.close()
    return 0
