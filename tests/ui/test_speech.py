"""Voice cues with the real espeak-ng engine (skipped where it isn't installed)."""

import shutil
import time
import wave

import pytest

from formcheck.ui.speech import Speaker

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def test_real_engine_speaks_a_cue(tmp_path):
    out = tmp_path / "cue.wav"
    speaker = Speaker(command=["espeak-ng", "-w", str(out)])
    speaker.say("Lift your hips higher")
    while speaker.speaking:
        time.sleep(0.05)
    with wave.open(str(out)) as w:
        assert w.getnframes() / w.getframerate() > 0.8  # about a second of speech


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_cues_are_not_spoken_over_each_other_and_urgent_ones_interrupt():
    speaker = Speaker(command=["sleep"])  # each "cue" takes its text's seconds
    speaker.say("0.5")
    wait_until(lambda: speaker.spoken == ["0.5"])
    speaker.say("0.1")  # waits: the voice is busy
    speaker.say("0.2")  # replaces the waiting one (the older is stale)
    assert speaker.spoken == ["0.5"]
    wait_until(lambda: not speaker.speaking)
    assert speaker.spoken == ["0.5", "0.2"]
    speaker.say("5")
    wait_until(lambda: speaker.spoken[-1] == "5")
    started = time.monotonic()
    speaker.interrupt()
    speaker.say("0.01")
    wait_until(lambda: speaker.spoken[-1] == "0.01")
    assert time.monotonic() - started < 1.0  # the urgent message starts at once, not after 5 s
    speaker.stop()


def test_saying_never_waits_for_the_engine():
    speaker = Speaker(command=["sleep"])
    started = time.monotonic()
    for text in ("2", "2", "2"):
        speaker.say(text)
    assert time.monotonic() - started < 0.05  # the caller (the window) is never held up
    speaker.stop()
