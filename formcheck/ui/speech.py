"""Voice cues through the system's text-to-speech program, on a thread of their own.

Linux: espeak-ng (Debian/Ubuntu package `espeak-ng`); macOS: `say`; Windows: PowerShell's
System.Speech. Each cue runs as its own short process, started and waited for on the speaker's
thread, so neither starting a process nor a slow speech engine ever holds up the window. Cues are
never spoken over each other: while one is being spoken, only the newest waiting cue is kept and it
is spoken next (older ones are stale by then).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading

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
        self.spoken: list[str] = []  # what was handed to the engine, for the UI log and tests
        self.asked: list[str] = []  # every line asked for, spoken or superseded (the queue's log)
        self._lock = threading.Condition()
        self._pending: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._busy = False  # a cue is being started or spoken
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    @property
    def available(self) -> bool:
        return self.command is not None

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._busy or self._pending is not None

    def say(self, text: str) -> None:
        """Speak now, or after the current cue if one is still being spoken (newest waiting wins)."""
        if not self.enabled or not self.available or not text:
            return
        log.debug("say: %s", text)
        with self._lock:
            self.asked.append(text)
            self._pending = text
            self._lock.notify()

    def poll(self) -> None:
        """Kept for callers that tick: the speaker's own thread starts waiting cues by itself."""

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed or self._pending is None:  # (the wait ends on a cue or on closing)
                    return
                text, self._pending = self._pending, None
                self._busy = True
            self._speak(text)
            with self._lock:
                self._busy = False
                self._lock.notify_all()

    def _speak(self, text: str) -> None:
        command = self.command
        if command is None or not self.enabled:
            return
        try:
            proc = subprocess.Popen([*command, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("speech failed (%s); voice cues turned off", exc)
            self.command = None
            return
        with self._lock:
            self._proc = proc
            self.spoken.append(text)
        proc.wait()
        with self._lock:
            self._proc = None

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if not enabled:
            self.interrupt()

    def interrupt(self, timeout: float = 1.0) -> None:
        """Silence the current cue and forget the waiting one (something urgent follows): returns
        once the voice is free, so the urgent message starts at once."""
        with self._lock:
            self._pending = None
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
            self._lock.wait_for(lambda: not self._busy, timeout)

    def stop(self) -> None:
        """Silence and end the speaker's thread (the app is closing)."""
        self.interrupt()
        with self._lock:
            self._closed = True
            self._lock.notify_all()
