"""The whoosh schema: few scored fields, stored only what highlighting needs."""

from whoosh.fields import ID, KEYWORD, TEXT, Schema

from .analysis import chinese_analyzer

# Fields a Chinese query word is looked up in, with their weight.
TEXT_FIELDS = {"name": 4.0, "water": 2.0, "entity": 2.0, "region": 1.5, "address": 1.0}
HIGHLIGHT_FIELDS = ("name", "water", "entity", "region", "address")


def make_schema() -> Schema:
    analyzer = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Full code, local code and code segments, normalised (no analysis, no positions).
        code=KEYWORD(lowercase=True, scorable=True),
        name=TEXT(analyzer=analyzer, stored=True, phrase=False),
        water=TEXT(analyzer=analyzer, stored=True, phrase=False),
        entity=TEXT(analyzer=analyzer, stored=True, phrase=False),
        region=TEXT(analyzer=analyzer, stored=True, phrase=False),
        address=TEXT(analyzer=analyzer, stored=True, phrase=False),
        pinyin=KEYWORD(lowercase=True, scorable=True),
        type=ID(),
        kind=ID(),
    )
