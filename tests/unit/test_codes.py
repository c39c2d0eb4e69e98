import pytest

from portal.core.codes import is_plausible_code, normalise_code


@pytest.mark.parametrize(
    "raw",
    [
        "HBJ0104450702GY0001",
        "hbj0104450702gy0001",
        "HBJ0104 450702 GY 0001",
        "HBJ0104-450702-GY-0001",
        "ＨＢＪ０１０４４５０７０２ＧＹ０００１",  # full-width, as typed by a Chinese IME
        "ＨＢＪ０１０４－４５０７０２　ＧＹ＿０００１",  # full-width dash, ideographic space
        "  HBJ0104–450702—GY·0001 \n",  # en/em dash, middle dot, surrounding space
    ],
)
def test_hand_typed_codes_normalise_to_the_canonical_code(raw):
    assert normalise_code(raw) == "HBJ0104450702GY0001"


def test_normalising_is_idempotent():
    once = normalise_code("ｑｔ 450702-0001")
    assert normalise_code(once) == once == "QT4507020001"


@pytest.mark.parametrize("code", ["", "AB", "HBJ0104<script>", "钦江0001", "A" * 41])
def test_implausible_codes_are_rejected_before_any_lookup(code):
    assert not is_plausible_code(normalise_code(code))


def test_plausible_code():
    assert is_plausible_code("HBJ0104450702GY0001")
