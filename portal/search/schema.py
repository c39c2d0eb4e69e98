"""The whoosh schema: one scored text field, a code field, a pinyin field, stored display text.

Every Chinese query word is looked up once, in `all`, which holds name, water body, entity,
region and address; a posting's weight is that of the best part the word is in (see
JiebaTokenizer). One posting list per word instead of one per source field, and scores with
few distinct values, are what keep a query on 100k outfalls fast (see whoosh_ext.py).
"""

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import chinese_analyzer

# The parts of `all`, in order: the weight a match in each part scores, and whether its CJK
# characters are also indexed one by one (for one-character queries and words jieba cuts
# differently in context). Region names (with their parents, on every outfall) are words
# jieba knows; their characters would add a fifth of the index for no recall.
TEXT_PARTS = (
    ("name", 3.0, True),
    ("water", 2.0, True),
    ("entity", 2.0, True),
    ("region", 1.0, False),
    ("address", 1.0, True),
)
HIGHLIGHT_FIELDS = tuple(name for name, _weight, _unigrams in TEXT_PARTS)


def make_schema() -> Schema:
    parts = tuple((weight, unigrams) for _name, weight, unigrams in TEXT_PARTS)
    return Schema(
        id=ID(stored=True, unique=True),
        # Full code, local code and code segments, normalised (no analysis, no positions).
        code=KEYWORD(lowercase=True, scorable=True),
        all=TEXT(analyzer=chinese_analyzer(parts), phrase=False),
        pinyin=KEYWORD(lowercase=True, scorable=True),
        type=ID(),
        kind=ID(),
        **{name: STORED() for name in HIGHLIGHT_FIELDS},
    )
