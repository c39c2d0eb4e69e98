"""The queue's one error: something a staff member asked for cannot be done."""


class QueueError(ValueError):
    """An action that cannot be done; `message` is translated for the staff member.

    `field` names the form field the message belongs to; None means the whole form.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
