"""The layout stays readable: no module over 400 lines unless its docstring says why, and every
package says in its docstring what it holds and what it may import (formcheck/README.md)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGE = ROOT / "formcheck"
LIMIT = 400
REASON = "Over 400 lines:"  # the docstring line that gives the reason


def test_no_module_is_over_400_lines_without_a_reason_at_its_top() -> None:
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > LIMIT and REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    assert not unexplained, f"split these, or say why at the top ({REASON!r}): {unexplained}"


def test_every_package_says_what_it_holds_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        text = init.read_text()
        # The docstring, or (where the docstring is shown to users, as the cli's is) a comment below it.
        head = (ast.get_docstring(ast.parse(text)) or "") + "\n".join(text.splitlines()[:12])
        assert "May import" in head, f"{init.relative_to(ROOT)}: say what the package holds and may import"
