"""Where a page of results sits among its pages (the registry list, search results)."""


class Paging:
    """has_prev and has_next for a page that knows its `page` number and its `pages`."""

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
