"""Re-run the cases of issue 17 (tests/records/test_hostile_cases.py) and print the table.

    .venv/bin/python tools/hostile_cases.py                  # this checkout
    .venv/bin/python tools/hostile_cases.py --root ../old    # the same cases against another checkout

Each case is one test. A case is *handled* when its test passes; when it fails on an assertion it
falls in the column the case belongs to (security, data loss, wrong state, or traceback for the
cases that crashed); any other exception escaping the code under test is a *traceback*, whatever
the case. The cases that need the pose model or root (a tmpfs, chattr) run when those are here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
TESTS = ("tests/records/test_hostile_cases.py", "tests/records/scripted_sessions.py", "tests/conftest.py")
COLUMNS = ("handled", "traceback", "data loss", "wrong state", "security")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=HERE, help="the checkout whose formcheck is tested (default: this one)")
    ap.add_argument("-k", default=None, help="only cases matching this pytest expression")
    args = ap.parse_args()
    root = args.root.resolve()
    if root != HERE:  # the cases are this checkout's; the code under test is root's
        for rel in TESTS:
            shutil.copy(HERE / rel, root / rel)
    sys.path.insert(0, str(HERE))
    from tests.records.test_hostile_cases import CASES

    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "cases.xml"
        cmd = [sys.executable, "-m", "pytest", TESTS[0], "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"]
        if args.k:
            cmd += ["-k", args.k]
        env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
        subprocess.run(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results = ET.parse(xml).getroot().iter("testcase")
        rows = []
        for tc in results:
            name = tc.get("name", "")
            words, column = CASES.get(name.split("[")[0], (name, "traceback"))
            failure, error, skipped = tc.find("failure"), tc.find("error"), tc.find("skipped")
            if skipped is not None:
                outcome = "skipped"
            elif failure is None and error is None:
                outcome = "handled"
            else:
                message = (failure if failure is not None else error).get("message", "")  # type: ignore[union-attr]
                assertion = error is None and message.startswith(("AssertionError", "assert", "Failed"))
                outcome = column if assertion else "traceback"
            rows.append((name, words, outcome))
    width = max(len(n) for n, _w, _o in rows)
    for name, words, outcome in rows:
        print(f"{outcome:12s} {name:{width}s}  {words}")
    totals = {c: sum(1 for *_x, o in rows if o == c) for c in (*COLUMNS, "skipped")}
    print()
    print(f"{len(rows)} cases ({root})")
    print(" | ".join(f"{c}: {totals[c]}" for c in (*COLUMNS, "skipped")))
    return 0 if totals["handled"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
