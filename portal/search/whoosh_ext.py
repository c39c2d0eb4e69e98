"""Our two subclasses of whoosh classes, which override private hooks of the library.

Written against the pinned Whoosh-Reloaded==2.7.5 (requirements.txt). They override:

- `whoosh.collectors.TopCollector._collect(self, global_docnum, score)`, which
  `ScoredCollector.collect(self, sub_docnum)` calls for every match, and they read and
  set the collector's `items` heap, `minscore`, `offset` and `limit`;
- `whoosh.query.And._matcher(self, subs, searcher, context)`, which
  `CompoundQuery.matcher()` calls with two or more subqueries.

tests/unit/test_whoosh_ext.py fails when the installed version or those hooks change:
check both classes against the new version before moving the pin.
"""

from whoosh.collectors import TopCollector
from whoosh.matching import IntersectionMatcher, WrappingMatcher
from whoosh.query import And

WHOOSH_PIN = "Whoosh-Reloaded==2.7.5"
SCORE_EPSILON = 1e-4


class PageCollector(TopCollector):
    """whoosh's TopCollector, but it knows the lowest score on the page once the page is full.

    whoosh 2.7 sets `minscore` (from 0) only when a later hit displaces one in the heap; when the
    first `limit` hits already have the best score there is (common: scores take few
    values), it never learns the bar and reads the whole posting list. With `minscore`
    set, the matcher skips every block whose best score cannot beat it, or stops at once.
    """

    def __init__(self, limit: int, allow: set[int] | None = None):
        super().__init__(limit=limit)
        self.allow = allow

    def collect(self, sub_docnum):
        # Filtering here, not with whoosh's FilterCollector: that one counts every
        # match afterwards, which undoes the skipping.
        if self.allow is not None and self.offset + sub_docnum not in self.allow:
            return None
        return super().collect(sub_docnum)

    def _collect(self, global_docnum, score):
        key = super()._collect(global_docnum, score)
        if len(self.items) >= self.limit:
            # A later hit needs a strictly higher score to enter the page. Intersections
            # skip only blocks whose best is strictly below the bar, so the bar is set a
            # hair above the lowest score (scores are sums of weights 1, 2, 3 times query
            # boosts, so no real score lies in between).
            self.minscore = self.items[0][0] + SCORE_EPSILON
        return key


class RarestFirstAnd(And):
    """And, intersecting the rarest posting lists first (a left-deep chain).

    whoosh's And pairs the two longest lists deepest in its tree, so "浦北县 泉水 镇 石龙 村民
    委员会" walks every outfall with both 镇 and 委员会 (100 ms) before the rare 石龙 can
    rule them out. Led by the rarest, the others only skip to its few candidates (1 ms).
    """

    def _matcher(self, subs, searcher, context):
        reader = searcher.reader()
        ranked = sorted(
            ((q.estimate_size(reader), i, q) for i, q in enumerate(subs)), key=lambda t: t[:2]
        )
        matcher = ranked[0][2].matcher(searcher, context)
        for _size, _i, q in ranked[1:]:
            matcher = IntersectionMatcher(matcher, q.matcher(searcher, context))
        if self.boost != 1.0:
            matcher = WrappingMatcher(matcher, self.boost)
        return matcher
