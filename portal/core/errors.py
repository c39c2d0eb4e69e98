"""The one family of errors a person can fix: bad input, or an action not possible now."""


class UserError(ValueError):
    """A refusal shown to the person who asked: `message` is translated (lazily or not),
    `field` names the form field it belongs next to (None: the form as a whole)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
