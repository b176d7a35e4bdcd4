"""Helpers for tests that read plotly figures' JSON."""

from __future__ import annotations

from collections.abc import Iterator


def figure_strings(node, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) in a figure's JSON (a list's strings under the key that holds the list)."""
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from figure_strings(v, k)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from figure_strings(v, key)
