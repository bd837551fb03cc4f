"""``formcheck eval``: score the engine against labelled videos (the rules are ``formcheck.evaluation.evaluate``'s)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli.args import add_where_it_runs, at_least_one

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    from formcheck.evaluation import evaluate  # stdlib only at import: its docstring is the help

    e = sub.add_parser("eval", help="score the engine against labelled videos",
                       description=evaluate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("labels", type=Path, nargs="+", help="label files (TOML, format above)")
    e.add_argument("--clips", type=Path, help="folder the clips' 'file' paths start from (default: "
                   "$FORMCHECK_REAL_CLIPS or ../shared/real_clips beside the checkout when present, else each "
                   "label file's folder)")
    add_where_it_runs(e, "clip", "the clips")
    e.add_argument("--repeat", type=at_least_one, default=1,
                   help="analyse each clip this many times and say whether the results are identical")
    e.add_argument("--only", metavar="PATTERN", action="append", default=[],
                   help="only clips whose file contains PATTERN or matches it as a glob (may be repeated)")
    e.add_argument("--by-source", action="store_true",
                   help="also print the figures of each source (the file name up to its first _) beside the totals")
    e.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    e.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.evaluation.evaluate import ClipScore, format_sources, format_table, run_eval, write_json

    def progress(done: int, total: int, score: ClipScore) -> None:
        took = f"{score.elapsed_s:.1f} s" if score.status == "ok" else f"{score.status}: {score.reason}"
        print(f"[{done:{len(str(total))}}/{total}] {score.file}  {took}", file=sys.stderr)

    if args.json is not None and not args.json.parent.is_dir():  # found out now, not after the analysis
        print(f"formcheck: the folder for --json {args.json} does not exist; create it or give another path",
              file=sys.stderr)
        return 2
    try:
        result = run_eval(args.labels, clips_dir=args.clips, jobs=args.jobs, cluster=args.cluster, repeat=args.repeat,
                          only=args.only, on_clip=progress)
    except KeyboardInterrupt as exc:  # the clips under way were stopped; nothing was written
        print(f"interrupted{f' ({exc})' if str(exc) else ''}; no results written", file=sys.stderr)
        return 130
    print(format_table(result))
    if args.by_source:
        print("\n" + format_sources(result))
    if args.json is not None:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if result.totals.errors:
        print(f"formcheck: {result.totals.errors} clips could not be analysed (see the table)", file=sys.stderr)
        return 1
    return 0
