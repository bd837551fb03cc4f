"""Voice cues through the system's text-to-speech program, never blocking the frame loop.

Linux: espeak-ng (Debian/Ubuntu package `espeak-ng`); macOS: `say`; Windows: PowerShell's
System.Speech. Each cue runs as its own short process. Cues are never spoken over each other: while
one is being spoken, only the newest waiting cue is kept and it is spoken next (older ones are
stale by then).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys

log = logging.getLogger(__name__)


def default_command() -> list[str] | None:
    """The speech command prefix for this system, or None when there is none."""
    if shutil.which("espeak-ng"):
        return ["espeak-ng", "-s", "160"]
    if sys.platform == "darwin" and shutil.which("say"):
        return ["say"]
    if sys.platform == "win32" and shutil.which("powershell"):
        return [
            "powershell", "-NoProfile", "-Command",
            "Add-Type -AssemblyName System.Speech; "
            "(New-Object System.Speech.Synthesis.SpeechSynthesizer).Speak($args[0])",
        ]
    return None


class Speaker:
    def __init__(self, command: list[str] | None = None, enabled: bool = True) -> None:
        self.command = command if command is not None else default_command()
        self.enabled = enabled
        self._proc: subprocess.Popen[bytes] | None = None
        self._pending: str | None = None
        self.spoken: list[str] = []  # what was handed to the engine, for the UI log and tests

    @property
    def available(self) -> bool:
        return self.command is not None

    @property
    def speaking(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def say(self, text: str) -> None:
        """Speak now, or after the current cue if one is still being spoken."""
        if not self.enabled or not self.available or not text:
            return
        if self.speaking:
            self._pending = text
            return
        self._start(text)

    def poll(self) -> None:
        """Call regularly (the window's timer does): starts the waiting cue when the voice is free."""
        if self._pending is not None and not self.speaking:
            text, self._pending = self._pending, None
            if self.enabled:
                self._start(text)

    def _start(self, text: str) -> None:
        assert self.command is not None
        try:
            self._proc = subprocess.Popen(
                [*self.command, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.spoken.append(text)
        except OSError as exc:
            log.warning("speech failed (%s); voice cues turned off", exc)
            self.command = None

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if not enabled:
            self._pending = None
            self.stop()

    def interrupt(self) -> None:
        """Silence the current cue and forget the waiting one (something urgent follows)."""
        self._pending = None
        self.stop()
        if self._proc is not None:
            try:
                self._proc.wait(timeout=1.0)  # so the urgent message starts now, not after it
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def stop(self) -> None:
        if self.speaking and self._proc is not None:
            self._proc.terminate()
