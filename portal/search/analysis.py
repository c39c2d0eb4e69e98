"""Text analysis: a jieba tokenizer for whoosh and the pinyin keywords of a text."""

import logging
import re
import unicodedata
from functools import lru_cache

import jieba
from pypinyin import lazy_pinyin
from whoosh.analysis import LowercaseFilter, Token, Tokenizer

# jieba logs its dictionary loading at DEBUG to stderr; keep it quiet.
jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def _keep(word: str) -> bool:
    """Drop whitespace and punctuation-only pieces."""
    return bool(_WORD.search(word))


# Separates the parts of a combined field value (see `weighted_parts`).
PART_SEPARATOR = "\x1f"


@lru_cache(maxsize=16384)
def _pieces(text: str, unigrams: bool) -> tuple[tuple[str, int, int], ...]:
    """(token, start, end) of one text: jieba's search-mode words, then CJK unigrams.

    Cached: water bodies, entities and regions repeat across thousands of outfalls, and
    jieba is most of the cost of indexing them.
    """
    out = []
    seen_unigram: set[int] = set()
    for word, start, end in jieba.tokenize(text, mode="search"):
        if not _keep(word):
            continue
        out.append((word, start, end))
        if unigrams and len(word) > 1:
            for i, ch in enumerate(word):
                if is_cjk(ch) and start + i not in seen_unigram:
                    seen_unigram.add(start + i)
                    out.append((ch, start + i, start + i + 1))
    return tuple(out)


class JiebaTokenizer(Tokenizer):
    """jieba's search-mode words, plus one token per CJK character (recall on short queries).

    Character offsets are kept, so the same tokenizer drives highlighting. A value made of
    parts joined by PART_SEPARATOR is tokenized part by part; with `parts`, a token of part i
    gets unigrams only if parts[i] asks for them and carries parts[i]'s boost. When indexing
    (no character offsets asked for) each word is emitted once with the boost of the best
    part it appears in, which whoosh stores as the posting's weight: a match in the name
    outranks one in the address, yet a word's weight takes few distinct values, so many
    outfalls tie and whoosh can stop reading a long posting list once a page is full.
    """

    def __init__(self, unigrams: bool = True, parts: tuple[tuple[float, bool], ...] = ()):
        self.unigrams = unigrams
        # (boost, unigrams) of each part; parts beyond these get (1.0, unigrams).
        self.parts = tuple(parts)

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and other.unigrams == self.unigrams
            and other.parts == self.parts
        )

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        if self.parts and not chars:
            # Indexing a combined field: each word once, weighted by the best part it is in.
            best: dict[str, float] = {}
            for i, part in enumerate(value.split(PART_SEPARATOR)):
                boost, unigrams = self.parts[i] if i < len(self.parts) else (1.0, self.unigrams)
                for text, _s, _e in _pieces(part, unigrams):
                    if best.get(text, 0.0) < boost:
                        best[text] = boost
            for text, boost in best.items():
                t.text, t.boost, t.stopped = text, boost, False
                if keeporiginal:
                    t.original = text
                if positions:
                    t.pos = pos
                    pos += 1
                yield t
            return
        offset = 0
        for i, part in enumerate(value.split(PART_SEPARATOR)):
            boost, unigrams = self.parts[i] if i < len(self.parts) else (1.0, self.unigrams)
            for text, s, e in _pieces(part, unigrams):
                t.text = text
                t.boost = boost
                if keeporiginal:
                    t.original = text
                t.stopped = False
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar, t.endchar = start_char + offset + s, start_char + offset + e
                yield t
            offset += len(part) + 1


def weighted_parts(*parts: str) -> str:
    """One value for a combined field from its parts, in the order of the field's weights."""
    return PART_SEPARATOR.join(p.replace(PART_SEPARATOR, " ") for p in parts)


def chinese_analyzer(parts: tuple[tuple[float, bool], ...] = ()):
    return JiebaTokenizer(parts=parts) | LowercaseFilter()


def normalise_text(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=4096)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(s for s in lazy_pinyin(word) if s.isascii() and s.isalpha())


def pinyin_keywords(*texts: str) -> str:
    """Space-separated pinyin keys of the texts (names separated by spaces count apart).

    `qinjiang` and `qin jiang` find 钦江 (the query joins spaced syllables).
    """
    keys: set[str] = set()
    for text in texts:
        for part in (text or "").split():
            keys.update(_text_pinyin(part))
    return " ".join(sorted(keys))


@lru_cache(maxsize=65536)
def _text_pinyin(text: str) -> frozenset[str]:
    """Pinyin keys of one text: each word's syllables joined, and each CJK run joined.

    No single syllables and no pairs across word boundaries: they matched thousands of
    outfalls for nothing a citizen types, and cost most of the index (cached: water, entity
    and region names repeat).
    """
    keys: set[str] = set()
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text):
        syllables: list[str] = []
        for word in jieba.cut(run):
            py = _word_pinyin(word)
            if len(py) > 1:
                keys.add("".join(py))
            syllables.extend(py)
        if 1 < len(syllables) <= 8:
            keys.add("".join(syllables))
    return frozenset(keys)


def query_words(text: str) -> list[str]:
    """The words of a query: jieba's precise mode, without punctuation, lower-cased."""
    words = []
    for word in jieba.cut(normalise_text(text)):
        word = word.strip()
        if word and _keep(word) and word not in words:
            words.append(word)
    return words


def is_ascii_word(word: str) -> bool:
    return bool(_ASCII_WORD.match(word))
