import pytest

from portal.outfalls.standards import (
    STANDARDS,
    applicable_standard,
    exceedances,
    standard_from_permit,
)


def test_values_within_limits_raise_nothing():
    values = {"ph": 7.1, "cod": 45, "nh3n": 4, "tn": 14, "tp": 0.4}
    assert exceedances(values, STANDARDS["GB18918-1A"]) == []


def test_each_breached_limit_is_reported_with_value_and_limit():
    values = {"ph": 7.1, "cod": 72.5, "nh3n": 4, "tn": 16, "tp": 0.4}
    found = exceedances(values, STANDARDS["GB18918-1A"])
    assert [(e.indicator, e.value, e.limit, e.standard) for e in found] == [
        ("cod", 72.5, 50, "GB18918-1A"),
        ("tn", 16, 15, "GB18918-1A"),
    ]


def test_a_value_equal_to_the_limit_is_compliant():
    assert exceedances({"cod": 50.0}, STANDARDS["GB18918-1A"]) == []


@pytest.mark.parametrize("ph,breach", [(5.9, True), (6.0, False), (9.0, False), (9.2, True)])
def test_ph_outside_its_range_is_an_exceedance(ph, breach):
    found = exceedances({"ph": ph}, STANDARDS["GB8978-1"])
    assert bool(found) is breach
    if breach:
        assert found[0].limit == (6.0, 9.0)


def test_cold_water_uses_the_relaxed_ammonia_limit():
    standard = STANDARDS["GB18918-1A"]
    assert exceedances({"nh3n": 7}, standard, temperature_c=20)[0].limit == 5
    assert exceedances({"nh3n": 7}, standard, temperature_c=10) == []
    assert exceedances({"nh3n": 9}, standard, temperature_c=12)[0].limit == 8


def test_missing_values_are_not_exceedances():
    assert exceedances({"cod": None, "tp": None}, STANDARDS["GB18918-1A"]) == []


def test_indicators_a_standard_does_not_control_are_not_flagged():
    # GB 8978 does not control total nitrogen.
    assert exceedances({"tn": 80}, STANDARDS["GB8978-1"]) == []


def test_dry_weather_flow_at_a_stormwater_outfall_is_an_anomaly():
    standard = STANDARDS["GB3838-III"]
    found = exceedances({"flow_m3s": 0.02}, standard, stormwater=True, weather="dry")
    assert [e.indicator for e in found] == ["dry_weather_flow"]
    assert exceedances({"flow_m3s": 0.02}, standard, stormwater=True, weather="wet") == []
    assert exceedances({"flow_m3s": 0.02}, standard, stormwater=False, weather="dry") == []
    assert exceedances({"flow_m3s": 0.0}, standard, stormwater=True, weather="dry") == []


def test_permit_limits_override_the_default_standard():
    standard = applicable_standard(None, "SH", {"cod": 30, "ph_min": 6, "ph_max": 9})
    assert standard.code == "PERMIT"
    assert [e.indicator for e in exceedances({"cod": 40, "ph": 9.5}, standard)] == ["ph", "cod"]


def test_named_standard_is_used_when_there_is_no_permit():
    assert applicable_standard("GB18918-1B", "SH", None).code == "GB18918-1B"
    assert applicable_standard("GB18918-1B", "SH", {}).code == "GB18918-1B"


def test_unknown_or_missing_standard_falls_back_to_the_type_default():
    assert applicable_standard(None, "SH", None).code == "GB18918-1A"
    assert applicable_standard("NO-SUCH", "GY", None).code == "GB8978-1"


def test_stormwater_outfalls_have_no_concentration_limit_by_default():
    for l1, stormwater in (("YH", False), ("GY", True)):
        standard = applicable_standard(None, l1, None, stormwater=stormwater)
        assert standard.code == "STORM"
        assert exceedances({"ph": 5.0, "cod": 300, "tn": 20}, standard) == []
    # A named standard or permit still applies to a stormwater outfall.
    assert applicable_standard("GB8978-1", "YH", None, stormwater=True).code == "GB8978-1"


def test_permit_without_limits_is_no_standard():
    assert standard_from_permit({"note": "x"}) is None
