"""``formcheck bundle``: a person's sessions, programme and calibration in one file, to move between computers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli.args import day, person

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    bd = sub.add_parser("bundle", help="move a person's sessions and programme between computers (one file)")
    bd.set_defaults(run=run)
    bds = bd.add_subparsers(dest="action", required=True)
    be = bds.add_parser("export", help="write one file with the person's sessions, programme and calibration")
    be.add_argument("--person", type=person, required=True)
    be.add_argument("--since", type=day, help="only sessions from this date (YYYY-MM-DD)")
    be.add_argument("--no-video", action="store_true", help="leave the camera videos out (much smaller)")
    be.add_argument("--pseudonym", type=person, help="name the person this way in the file instead")
    be.add_argument("--out", type=Path, help="file to write (default: NAME-DATE.formcheck here)")
    bi = bds.add_parser("import", help="add what a bundle holds that this computer doesn't have")
    bi.add_argument("file", type=Path)
    bi.add_argument("--as", dest="as_person", type=person,
                    help="file it under this person here (their real name for a pseudonymised bundle, or, when the "
                         "bundle's person has the name of someone here, that person if it is them)")
    bi.add_argument("--confirm-programme", action="store_true",
                    help="make the programme in the bundle the person's current one at once (else it waits for "
                         "`formcheck programme confirm`)")


def run(args: argparse.Namespace) -> int:
    from formcheck.records.bundle_export import default_name, export_bundle
    from formcheck.records.bundle_import import import_bundle
    from formcheck.records.store import Store

    store = Store()
    try:
        if args.action == "export":
            out = args.out or Path(default_name(args.pseudonym or args.person))
            print(export_bundle(store, args.person, out, args.since, not args.no_video, args.pseudonym).text())
        else:
            report = import_bundle(store, args.file, args.as_person)
            if args.confirm_programme:
                from formcheck.records import programme_store

                for p in report.pending:
                    programme_store.confirm(store, p.uid)
                report.pending = []
            print(report.text())
    finally:
        store.close()
    return 0
