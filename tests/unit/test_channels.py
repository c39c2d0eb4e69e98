"""Channels are a closed vocabulary: every member has a label in both languages."""

from babel.messages.pofile import read_po

from portal.complaints.labels import CHANNEL
from portal.complaints.models import STAFF_CHANNELS, Channel
from portal.config import ROOT


def test_every_channel_has_a_label_in_both_languages():
    assert set(CHANNEL) == {c.value for c in Channel}
    for lang in ("zh", "en"):
        with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalogue = read_po(fh, locale=lang)
        for channel in Channel:
            message = catalogue.get(CHANNEL[channel.value]._args[0])
            assert message is not None and message.string, (lang, channel)


def test_staff_enter_every_channel_but_the_self_service_ones():
    assert set(STAFF_CHANNELS) == set(Channel) - {Channel.web, Channel.open311}
