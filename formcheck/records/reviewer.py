"""Who is reviewing: the name a therapist's verdicts and notes are saved under, so two therapists
judging the same flag each keep their own verdict.

The setting FORMCHECK_REVIEWER names the reviewer; without it, the computer's login name; where
the computer can't say who is logged in, ``UNKNOWN_REVIEWER``. Verdicts given before reviewers
were recorded have the reviewer ``EARLIER`` (shown as ``EARLIER_SHOWN``).
"""

from __future__ import annotations

import getpass
import os

from formcheck.records.database.connection import StoreError
from formcheck.records.database.rows import FaultDetail
from formcheck.untrusted import NAME_CHARS, Refused, name

REVIEWER_ENV = "FORMCHECK_REVIEWER"
UNKNOWN_REVIEWER = "therapist"
EARLIER = ""  # the reviewer of a verdict or note from before reviewers were recorded
EARLIER_SHOWN = "earlier review"


def reviewer_name() -> str:
    """This machine's reviewer: FORMCHECK_REVIEWER, else the login name, else ``UNKNOWN_REVIEWER``."""
    setting = os.environ.get(REVIEWER_ENV, "").strip()
    if setting:
        try:
            return name(setting, REVIEWER_ENV)
        except Refused as exc:
            raise StoreError(f"{REVIEWER_ENV} must be a name of at most {NAME_CHARS} characters on one line; "
                             "set it to the reviewer's name and start again.") from exc
    try:
        return name(getpass.getuser().strip(), "the login name")
    except (OSError, KeyError, ImportError, Refused):  # no login name (a container, a service account)
        return UNKNOWN_REVIEWER


def shown(reviewer: str) -> str:
    """A reviewer as lists and reports name them."""
    return reviewer or EARLIER_SHOWN


def said(fault: FaultDetail) -> str:
    """Every reviewer's verdict on a flag in words: "Agreed: anna · Disagreed: ben (disputed)"
    ("" when nobody judged it)."""
    parts = [f"{word}: {', '.join(shown(r) for r in fault.by(agree))}"
             for word, agree in (("Agreed", True), ("Disagreed", False)) if fault.by(agree)]
    return " · ".join(parts) + (" (disputed)" if fault.disputed else "")
