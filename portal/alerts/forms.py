"""The subscription form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from ..forms import PostForm


class SubscribeForm(PostForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Length(max=200, message=_l("Enter an email address.")),
            # The outbox's own test of an address (one address, no display name).
            Regexp(
                r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$",
                message=_l("Enter an email address."),
            ),
        ],
    )
    kind = HiddenField()
    target = HiddenField()
