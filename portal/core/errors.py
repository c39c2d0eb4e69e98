"""The one family of errors a person can fix: bad input, or an action not possible now."""


class UserError(ValueError):
    """A refusal shown to the person who asked: `message` is translated (lazily or not),
    `field` names the form field it belongs next to (None: the form as a whole).
    A `warning` is a refusal the person may override by confirming (e.g. a boundary)."""

    warning = False

    def __init__(self, message, field: str | None = None):
        # Kept lazy: translated when shown, in the request's language (or a forced one).
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
