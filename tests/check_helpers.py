"""Helpers of the checker tests: a check must fail with the right words, or pass with one line."""
import pytest


def fails_with(check, fn, *fragments, hidden=False):
    """Run ``check(fn)``; assert that it fails and that the message holds every fragment."""
    with pytest.raises(AssertionError) as info:
        check(fn, hidden=hidden)
    message = flat(info.value)
    for fragment in fragments:
        assert flat(fragment) in message, f"{fragment!r} not in:\n{message}"
    return message


def passes_quietly(check, fn, capsys, hidden):
    """Run ``check(fn)``; assert that it printed exactly one ✔ line and nothing on stderr."""
    check(fn, hidden=hidden)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("\u2714") and out.count("\n") == 1


def flat(message) -> str:
    """A failure message with its line wrapping undone (checkers wrap at 90 characters):
    every run of whitespace becomes one space, so a test can look for a whole sentence."""
    return " ".join(str(message).split())


def flex(pattern: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that also matches where the checker wrapped
    the line (a space of the pattern matches any whitespace, a newline included)."""
    return pattern.replace(" ", r"\s")
