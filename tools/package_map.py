"""The package structure in numbers: per package its modules and lines (and the longest module), and
the imports between packages (from import-linter's own graph library, grimp).

    .venv/bin/python tools/package_map.py [--over 400]

Used for issue 18's before/after note; run it on any checkout (it reads ``formcheck`` from the path).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def package_of(module: str) -> str:
    """``formcheck.records.store`` → ``records``; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(formcheck)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--over", type=int, default=400, help="list modules longer than this")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("formcheck", cache_dir=None)
    lines: dict[str, int] = {}
    for module in graph.modules:
        path = ROOT / Path(*module.split("."))
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        lines[module] = len(file.read_text().splitlines()) if file.exists() else 0
    per_package: dict[str, list[str]] = defaultdict(list)
    for module in graph.modules:
        per_package[package_of(module)].append(module)
    print(f"{'package':<14}{'modules':>8}{'lines':>8}  longest module")
    for package, modules in sorted(per_package.items()):
        longest = max(modules, key=lambda m: lines[m])
        print(f"{package:<14}{len(modules):>8}{sum(lines[m] for m in modules):>8}  {longest} ({lines[longest]})")
    between: Counter[tuple[str, str]] = Counter()
    within = 0
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = package_of(importer), package_of(imported)
            if a == b:
                within += 1
            else:
                between[a, b] += 1
    print(f"\nimports between packages: {sum(between.values())} (within packages: {within})")
    for (a, b), n in sorted(between.items()):
        print(f"  {a:<12} → {b:<12} {n:>3}")
    long = sorted((m for m in graph.modules if lines[m] > args.over), key=lambda m: -lines[m])
    print(f"\nmodules over {args.over} lines: {len(long)}")
    for m in long:
        print(f"  {m} {lines[m]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
