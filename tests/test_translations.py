"""Every catalogue is complete and keeps every placeholder of its msgids."""

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from portal.config import ROOT
from portal.i18n import LANGUAGES

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _catalogue(lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_catalogue_translates_every_message_with_the_same_placeholders(lang):
    for message in _catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {lang}: {ids[0]!r}"
        assert "fuzzy" not in message.flags, f"fuzzy in {lang}: {ids[0]!r}"
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(ids[-1])), (lang, s)


def test_catalogues_hold_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "portal",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for lang in LANGUAGES:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(lang) if m.id}
        assert wanted <= have, f"{lang} lacks {sorted(wanted - have)[:5]}"
