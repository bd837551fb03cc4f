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


def test_cues_are_not_spoken_over_each_other_and_urgent_ones_interrupt():
    speaker = Speaker(command=["sleep"])  # each "cue" takes its text's seconds
    speaker.say("0.5")
    speaker.say("0.1")  # waits: the voice is busy
    speaker.say("0.2")  # replaces the waiting one (the older is stale)
    assert speaker.spoken == ["0.5"]
    time.sleep(0.7)
    speaker.poll()
    assert speaker.spoken == ["0.5", "0.2"]
    speaker.say("5")
    speaker.interrupt()
    speaker.say("0.01")
    assert speaker.spoken[-1] == "0.01"  # the urgent message starts at once
