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


class JiebaTokenizer(Tokenizer):
    """jieba's search-mode words, plus one token per CJK character (recall on short queries).

    Character offsets are kept, so the same tokenizer drives highlighting.
    """

    def __init__(self, unigrams: bool = True):
        self.unigrams = unigrams

    def __eq__(self, other):
        return type(other) is type(self) and other.unigrams == self.unigrams

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
        seen_unigram: set[int] = set()
        for word, start, end in jieba.tokenize(value, mode="search"):
            if not _keep(word):
                continue
            pieces = [(word, start, end)]
            if self.unigrams and len(word) > 1:
                for i, ch in enumerate(word):
                    if is_cjk(ch) and start + i not in seen_unigram:
                        seen_unigram.add(start + i)
                        pieces.append((ch, start + i, start + i + 1))
            for text, s, e in pieces:
                t.text = text
                t.boost = 1.0
                if keeporiginal:
                    t.original = text
                t.stopped = False
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar, t.endchar = start_char + s, start_char + e
                yield t


def chinese_analyzer():
    return JiebaTokenizer() | LowercaseFilter()


def normalise_text(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=4096)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(s for s in lazy_pinyin(word) if s.isascii() and s.isalpha())


def pinyin_keywords(*texts: str) -> str:
    """Space-separated pinyin keys: each syllable, each word joined, each adjacent pair.

    `qinjiang`, `qin jiang` and `qin` all find 钦江, whatever jieba makes of its context.
    """
    keys: set[str] = set()
    for text in texts:
        if text:
            keys.update(_text_pinyin(text))
    return " ".join(sorted(keys))


@lru_cache(maxsize=65536)
def _text_pinyin(text: str) -> frozenset[str]:
    """Pinyin keys of one text (water, entity and region names repeat: cached)."""
    keys: set[str] = set()
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text):
        syllables: list[str] = []
        for word in jieba.cut(run):
            py = _word_pinyin(word)
            if len(py) > 1:
                keys.add("".join(py))
            syllables.extend(py)
        keys.update(syllables)
        for a, b in zip(syllables, syllables[1:], strict=False):
            keys.add(a + b)
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
