"""Keep MediaPipe's usage telemetry off the network.

The mediapipe wheels on PyPI (1.x; 0.10.3x too) build Google's usage logger into
``libmediapipe.so``: every task, our PoseLandmarker included, queues session and invocation
statistics and posts them with libcurl to ``https://play.googleapis.com/log`` (periodically and
when the task closes). The library has no switch for it: ``BaseOptions`` has none, the C API
exports none, and the logger reads no setting (the open-source ``logging_factory.cc`` builds a
dummy logger; the wheel's own factory always builds the HTTP one).

The uploader sets no proxy of its own, so libcurl takes it from the environment when each upload
starts: ``https_proxy`` (the lower-case name first), unless the host is in ``no_proxy`` /
``NO_PROXY``. With ``https_proxy`` naming a scheme libcurl does not support and no bypass list,
every upload fails before any DNS lookup or connection.

The environment is shared by the whole process and its children, so the user's own proxy
settings are kept here and given back to what formcheck itself sends over the network: the
model download (``opener``) and the pip child process (``user_environment``).
``tests/test_privacy.py`` checks the result with strace.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Mapping

# A scheme libcurl rejects ("Unsupported proxy scheme"): the upload stops before resolving anything.
BLOCKING_PROXY = "blocked://mediapipe-usage-logging.invalid"

_user_proxy_vars: dict[str, str] | None = None  # the user's *_proxy variables, saved on first block


def _proxy_vars(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.lower().endswith("_proxy") and v != BLOCKING_PROXY}


def block_mediapipe_telemetry() -> None:
    """Make MediaPipe's usage uploads fail locally; call before MediaPipe creates a task.

    Idempotent, and safe to call again after something else edited the environment.
    """
    global _user_proxy_vars
    if _user_proxy_vars is None:
        _user_proxy_vars = _proxy_vars(os.environ)
    os.environ["https_proxy"] = BLOCKING_PROXY
    os.environ.pop("no_proxy", None)
    os.environ.pop("NO_PROXY", None)


def _user_vars() -> dict[str, str]:
    return _user_proxy_vars if _user_proxy_vars is not None else _proxy_vars(os.environ)


def user_environment() -> dict[str, str]:
    """The environment with the user's own proxy settings, for child processes that download."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(_user_vars())
    return env


def user_proxies() -> dict[str, str]:
    """The user's proxies as urllib reads them: scheme -> proxy URL, plus "no" -> bypass list."""
    saved = _user_vars()
    proxies: dict[str, str] = {}
    # Upper-case names first so that the lower-case ones win, as in urllib.
    for name in sorted(saved, key=str.islower):
        if saved[name]:
            proxies[name[: -len("_proxy")].lower()] = saved[name]
    if proxies:
        return proxies
    # No proxy variables: urllib would fall back to the system settings (macOS, Windows).
    if sys.platform == "darwin":
        return urllib.request.getproxies_macosx_sysconf()  # type: ignore[attr-defined]
    if os.name == "nt":
        return urllib.request.getproxies_registry()  # type: ignore[attr-defined]
    return {}


def opener(url: str) -> urllib.request.OpenerDirector:
    """A urllib opener that reaches ``url`` through the user's proxy, not the blocking one."""
    proxies = user_proxies()
    host = urllib.parse.urlsplit(url).hostname or ""
    if urllib.request.proxy_bypass_environment(host, proxies):
        proxies = {}
    proxies.pop("no", None)
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
