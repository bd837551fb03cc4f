"""Pain and effort ratings: the 0–10 numeric rating scale (NRS) and when pain says "stop".

Pain is rated before the session, after each exercise and at the end; effort after each exercise.
A rise of ``PAIN_RISE`` points or more since the start of the session, or a rating at or above the
limit the therapist set in the programme, advises stopping for today and flags the session for the
therapist.
"""

from __future__ import annotations

NRS_MIN, NRS_MAX = 0, 10
# Two points on the 0–10 scale is the smallest change people with low back pain reliably feel
# (the usual "minimal clinically important difference" for the NRS): the stop rule.
PAIN_RISE = 2


def nrs(value: object) -> int:
    """A rating on the 0–10 scale, or ValueError saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int) or not NRS_MIN <= value <= NRS_MAX:
        raise ValueError(f"a rating is a whole number from {NRS_MIN} to {NRS_MAX}, got {value!r}")
    return value


def pain_warning(before: int | None, now: int, stop_at: int | None = None) -> str | None:
    """Why the person should stop (the reason recorded with the session), or None to carry on."""
    if stop_at is not None and now >= stop_at:
        return f"pain {now}/10 is at or above the limit of {stop_at} your therapist set"
    if before is not None and now - before >= PAIN_RISE:
        return f"pain rose from {before} to {now} (by {now - before}; {PAIN_RISE} or more means stop)"
    return None

# The start of the flag reason when the person stopped on the app's advice (or pressed "Stop — it
# hurts"): adherence and the review mark these sessions "stopped for pain".
STOPPED_FOR_PAIN = "stopped for pain"
