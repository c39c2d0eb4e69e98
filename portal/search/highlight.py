"""Highlighting: the query's words, their characters and their pinyin marked in stored text."""

from collections.abc import Iterator
from functools import lru_cache

from markupsafe import Markup, escape

from .analysis import is_cjk, normalise_text
from .schema import HIGHLIGHT_FIELDS


def _mark(text: str, spans: list[tuple[int, int]]) -> Markup:
    """text with spans wrapped in <mark>; everything else escaped."""
    if not spans:
        return escape(text)
    spans.sort()
    merged = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>%s</mark>") % text[s:e])
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0]


@lru_cache(maxsize=16384)
def _pinyin_map(text: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """The text's CJK characters as one pinyin string ("|" between runs), and maps from
    offsets in that string where a syllable starts / ends to the character's position.
    Cached: water bodies, regions and entities repeat on every page of results."""
    parts: list[str] = []
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    pos, prev = 0, None
    for i, ch in enumerate(text):
        if not is_cjk(ch):
            continue
        if prev is not None and prev != i - 1:
            parts.append("|")
            pos += 1
        syllable = _char_pinyin(ch)
        starts[pos] = i
        pos += len(syllable)
        ends[pos] = i + 1
        parts.append(syllable)
        prev = i
    return "".join(parts), starts, ends


def _find_all(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at != -1:
        yield at
        at = text.find(word, at + len(word))


def _pinyin_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Characters whose pinyin spells a query word, on syllable boundaries."""
    targets = {w for w in words if w.isascii() and w.isalpha()}
    if not targets:
        return []
    if len(words) > 1 and len(targets) == len(words):
        targets = {"".join(words)}  # "qin jiang" was searched as one key
    joined, starts, ends = _pinyin_map(text)
    spans = []
    for target in targets:
        for at in _find_all(joined, target):
            if at in starts and at + len(target) in ends:
                spans.append((starts[at], ends[at + len(target)]))
    return spans


def highlight(stored: dict, words: list[str], split: set[str] = frozenset()) -> dict[str, Markup]:
    """Each stored field with the query's words marked (always includes the name).

    A word is marked wherever it occurs; a word in `split` (matched character by
    character) has its characters marked; pinyin words mark the characters they spell.
    """
    needles = []
    for word in words:
        needles.extend(word if word in split else [word])
    out = {}
    for name in HIGHLIGHT_FIELDS:
        text = stored.get(name) or ""
        if not text:
            continue
        lowered = normalise_text(text)
        if len(lowered) != len(text):
            lowered = text.lower()
        spans = [(at, at + len(n)) for n in needles for at in _find_all(lowered, n)]
        spans += _pinyin_spans(text, words)
        if spans or name == "name":
            out[name] = _mark(text, spans)
    return out
