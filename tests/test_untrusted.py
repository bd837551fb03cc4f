"""The one rule for outside input (formcheck/untrusted.py): bounded readers and checked values."""

from __future__ import annotations

import json
import os
import threading

import pytest

from formcheck import untrusted
from formcheck.untrusted import Fields, Refused


def test_only_regular_files_of_their_size_are_read(tmp_path):
    fifo = tmp_path / "stuck.toml"
    os.mkfifo(fifo)
    done: list[str] = []
    reader = threading.Thread(target=lambda: done.append(_refusal(lambda: untrusted.read_bytes(fifo, 100))))
    reader.start()
    reader.join(5)
    assert done == ["stuck.toml is not a regular file"]  # refused at once, not waited on
    big = tmp_path / "big.toml"
    big.write_bytes(b"x" * 101)
    assert "more than the 100 bytes" in _refusal(lambda: untrusted.read_bytes(big, 100))
    assert "can't be read" in _refusal(lambda: untrusted.read_bytes(tmp_path / "missing", 100))
    (tmp_path / "latin1.toml").write_bytes(b"name = \"caf\xe9\"")
    assert "not UTF-8" in _refusal(lambda: untrusted.read_text(tmp_path / "latin1.toml"))


def test_json_is_bounded_in_size_and_depth():
    assert untrusted.parse_json(b'{"a": [1, 2]}', "x") == {"a": [1, 2]}
    assert "more than the 10 bytes" in _refusal(lambda: untrusted.parse_json(b'{"a": "0123456789"}', "x", 10))
    assert "nested" in _refusal(lambda: untrusted.parse_json("[" * 100_000 + "]" * 100_000, "x", 10**6))
    assert "nested more than" in _refusal(lambda: untrusted.parse_json(json.dumps(_deep(40)), "x"))
    assert "not JSON" in _refusal(lambda: untrusted.parse_json("1" * 5000, "x"))  # an int too long to convert


def test_a_path_must_stay_inside_its_folder(tmp_path):
    assert untrusted.inside(tmp_path, "a/b.json") == (tmp_path / "a" / "b.json").resolve()
    for bad in ("../x", "a/../../x", "/etc/passwd"):
        assert "points outside" in _refusal(lambda bad=bad: untrusted.inside(tmp_path, bad))
    (tmp_path / "link").symlink_to("/etc")
    assert "points outside" in _refusal(lambda: untrusted.inside(tmp_path, "link/passwd"))


def test_values_are_checked_with_the_key_named():
    f = Fields({"n": 10**29, "t": "yesterday", "uid": "../x", "ok": 3, "flag": "yes", "s": "é" * 20}, "events.jsonl line 4")
    assert _refusal(lambda: f.whole("n", (1, 20))) == (
        "events.jsonl line 4: n must be a whole number from 1 to 20, got 100000000000000000000000000000")
    assert "must be a date and time" in _refusal(lambda: f.time("t"))
    assert "hex digits" in _refusal(lambda: f.uid("uid"))
    assert "true or false" in _refusal(lambda: f.flag("flag"))
    assert "at most 10 characters" in _refusal(lambda: f.text("s", max_chars=10))
    assert "has no missing" in _refusal(lambda: f.number("missing", 0, 1))
    assert f.whole("ok", (1, 20)) == 3 and f.number("absent", 0, 1, None) is None
    for bad in (float("nan"), float("inf"), True, "3"):
        assert "must be a number" in _refusal(lambda bad=bad: untrusted.number(bad, 0, 10, "x"))


def _refusal(action) -> str:
    with pytest.raises(Refused) as refused:
        action()
    return str(refused.value)


def _deep(n: int):
    return [] if n == 0 else [_deep(n - 1)]
