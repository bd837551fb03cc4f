"""What the person sees and hears for the app's internal reasons: the one place they are put into
plain words. The internal reasons themselves (a set's ``ended_by``, a rep's ``not_judged`` codes and
reasons, a session's flag) stay as they are in the events, the session files and the therapist's view.
"""

from __future__ import annotations

from formcheck.core.events import SetEnd
from formcheck.core.pain import pain_warning

# A rep that began before the person was seen at rest (e.g. as the video started): a relative rule
# has nothing to measure its change from. Kept in the data; nothing the person can act on.
NO_RESTING_VALUE = "no resting value to compare with (the rep began as the video did)"
_NOT_FOR_THE_PERSON = frozenset({NO_RESTING_VALUE})

# After a set's one-line summary: why it ended, when not by reaching its dose.
SET_END_WORDS: dict[SetEnd, str] = {
    "dose": "", "stop": " (ended early)", "pain": " (stopped for pain)", "video_end": " (the video ended)",
    "source_lost": " (the camera stopped)", "closed": " (the video was closed)",
}
# The banner when an exercise is over, by why it ended.
_DONE_BANNER: dict[SetEnd, str] = {
    "pain": "Stopped — rest now", "video_end": "The video ended", "source_lost": "The camera stopped",
}
# The same, as a clause after "The exercise stopped (…)" when a run goes on to the next exercise.
SOURCE_ENDED: dict[SetEnd, str] = {
    "video_end": "the video ended", "source_lost": "the camera stopped", "closed": "the video was closed",
}


def done_banner(reason: SetEnd) -> str:
    return _DONE_BANNER.get(reason, "Exercise finished")


def not_judged_cue(reasons: dict[str, str]) -> str | None:
    """What to say after a rep that could not be fully checked (``reasons``: rule code → internal
    reason), or None when there is nothing the person can do about it."""
    told = [r for r in reasons.values() if r not in _NOT_FOR_THE_PERSON]
    if not told:
        return None
    return told[0][0].upper() + told[0][1:]


def not_judged_count(n: int) -> str:
    return f"{n} couldn't be fully checked"


def pain_words(before: int | None, now: int, stop_at: int | None = None) -> str | None:
    """The person's sentence for what ``pain.pain_warning`` records (None: no reason to stop)."""
    if pain_warning(before, now, stop_at) is None:
        return None
    if stop_at is not None and now >= stop_at:
        return f"Your pain is {now} out of 10: that is the limit your therapist set."
    return f"Your pain has gone up from {before} to {now}."
