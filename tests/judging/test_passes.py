"""Grading-pass settings keep a judge's base URL without its secrets."""

from __future__ import annotations

import pytest

from medjudge.judging.passes import public_base_url


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://user:sk-abc@api.example.com/v1?key=sk-abc#x", "https://api.example.com/v1"),
        ("https://sk-abc@api.example.com", "https://api.example.com"),
        ("http://[::1]:8000/v1?token=t", "http://[::1]:8000/v1"),
        (None, None),
    ],
)
def test_user_info_query_and_fragment_are_dropped(given, kept):
    assert public_base_url(given) == kept
