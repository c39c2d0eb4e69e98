import pytest

from portal.queue.routing import NoRouteError, Route, Rule, choose_route

# 钦南区 (district) → 钦州市 (city) → 广西 (province), most specific first.
QINNAN = ("450702", "450700", "450000")
QINBEI = ("450703", "450700", "450000")
ECOLOGY, HOUSING, WATER, AGRICULTURE, OCEAN, QINNAN_GOV = 1, 2, 3, 4, 5, 6


def route(rules, *, category="dry_weather", outfall_type="YS", region_chain=QINNAN) -> Route:
    return choose_route(
        rules, category=category, outfall_type=outfall_type, region_chain=region_chain
    )


def test_catch_all_rule_matches_anything():
    assert route([Rule(id=1, lead_department_id=ECOLOGY)]) == Route(ECOLOGY, (), 1)


def test_more_constrained_dimensions_win():
    rules = [
        Rule(id=1, lead_department_id=ECOLOGY),
        Rule(id=2, lead_department_id=WATER, category="dry_weather"),
        Rule(id=3, lead_department_id=HOUSING, category="dry_weather", outfall_type="YS"),
        Rule(
            id=4,
            lead_department_id=QINNAN_GOV,
            category="dry_weather",
            outfall_type="YS",
            region_codes=frozenset({"450700"}),
        ),
    ]
    assert route(rules).rule_id == 4
    assert route(rules[:3]).rule_id == 3
    assert route(rules[:2]).rule_id == 2
    # The order rules come in does not matter.
    assert route(list(reversed(rules))).rule_id == 4


def test_two_dimensions_beat_one_deep_region():
    rules = [
        Rule(id=1, lead_department_id=QINNAN_GOV, region_codes=frozenset({"450702"})),
        Rule(id=2, lead_department_id=HOUSING, category="dry_weather", outfall_type="YS"),
    ]
    assert route(rules).lead == HOUSING


def test_county_rule_beats_city_rule():
    rules = [
        Rule(id=1, lead_department_id=ECOLOGY, region_codes=frozenset({"450700"})),
        Rule(id=2, lead_department_id=QINNAN_GOV, region_codes=frozenset({"450702"})),
        Rule(id=3, lead_department_id=WATER, region_codes=frozenset({"450000"})),
    ]
    assert route(rules).lead == QINNAN_GOV
    assert route(rules, region_chain=QINBEI).lead == ECOLOGY
    assert route(rules, region_chain=("451000", "450000")).lead == WATER


def test_rule_naming_several_regions_counts_its_deepest_match():
    rules = [
        Rule(id=1, lead_department_id=ECOLOGY, region_codes=frozenset({"450700"})),
        Rule(id=2, lead_department_id=WATER, region_codes=frozenset({"450000", "450702"})),
    ]
    assert route(rules).lead == WATER
    assert route(rules, region_chain=QINBEI).lead == ECOLOGY


def test_region_rule_does_not_match_elsewhere_or_without_a_region():
    rule = Rule(id=1, lead_department_id=QINNAN_GOV, region_codes=frozenset({"450702"}))
    with pytest.raises(NoRouteError):
        route([rule], region_chain=QINBEI)
    with pytest.raises(NoRouteError):
        route([rule], region_chain=())


def test_equal_specificity_goes_to_the_lowest_id():
    rules = [
        Rule(id=7, lead_department_id=WATER, category="dry_weather"),
        Rule(id=3, lead_department_id=HOUSING, outfall_type="YS"),
        Rule(id=5, lead_department_id=ECOLOGY, category="dry_weather"),
    ]
    assert route(rules).rule_id == 3
    assert route(rules[::-1]).rule_id == 3


def test_complaint_without_outfall_only_matches_rules_without_outfall_type():
    rules = [
        Rule(id=1, lead_department_id=HOUSING, category="dry_weather", outfall_type="YS"),
        Rule(id=2, lead_department_id=ECOLOGY, category="dry_weather"),
    ]
    assert route(rules, outfall_type=None).rule_id == 2
    with pytest.raises(NoRouteError):
        route(rules[:1], outfall_type=None)


def test_category_and_outfall_type_must_match_when_given():
    rules = [
        Rule(id=1, lead_department_id=OCEAN, category="fish_kill"),
        Rule(id=2, lead_department_id=AGRICULTURE, outfall_type="NY"),
    ]
    assert route(rules, category="fish_kill").lead == OCEAN
    assert route(rules, outfall_type="NY").lead == AGRICULTURE
    with pytest.raises(NoRouteError):
        route(rules)


def test_no_rule_raises_instead_of_defaulting():
    with pytest.raises(NoRouteError, match="dry_weather"):
        route([])
    assert issubclass(NoRouteError, LookupError)


def test_route_carries_assisting_departments_without_the_lead_or_repeats():
    rule = Rule(id=9, lead_department_id=HOUSING, assisting=(WATER, HOUSING, ECOLOGY, WATER))
    assert route([rule]) == Route(lead=HOUSING, assisting=(WATER, ECOLOGY), rule_id=9)


def test_an_outfall_complaint_goes_to_its_supervisor_over_type_rules():
    from portal.queue.routing import route_for_outfall

    rules = [Rule(1, lead_department_id=10, outfall_type="NY"), Rule(2, lead_department_id=11)]
    found = route_for_outfall(
        rules, category="other", outfall_type="NY", region_chain=["450702"], supervising=7
    )
    assert (found.lead, found.assisting, found.rule_id) == (7, (), None)


def test_only_a_category_rule_overrides_the_supervisor_who_then_assists():
    from portal.queue.routing import route_for_outfall

    rules = [
        Rule(1, lead_department_id=10, category="fish_kill", assisting=(12, 7)),
        Rule(2, lead_department_id=11, outfall_type="QT"),
    ]
    found = route_for_outfall(
        rules, category="fish_kill", outfall_type="QT", region_chain=[], supervising=7
    )
    assert (found.lead, found.assisting, found.rule_id) == (10, (7, 12), 1)
    same = route_for_outfall(
        [Rule(3, lead_department_id=7, category="fish_kill", assisting=(12,))],
        category="fish_kill",
        outfall_type="QT",
        region_chain=[],
        supervising=7,
    )
    assert (same.lead, same.assisting) == (7, (12,))


def test_an_outfall_without_supervisor_is_placed_by_the_rules():
    from portal.queue.routing import route_for_outfall

    rules = [Rule(2, lead_department_id=11, outfall_type="QT")]
    found = route_for_outfall(
        rules, category="other", outfall_type="QT", region_chain=[], supervising=None
    )
    assert found.lead == 11


def test_a_level_two_type_rule_is_more_specific_than_its_type():
    rules = [
        Rule(1, lead_department_id=HOUSING, outfall_type="QT"),
        Rule(2, lead_department_id=WATER, outfall_type="QT", outfall_subtype="qt_irrigation"),
    ]
    found = choose_route(
        rules,
        category="other",
        outfall_type="QT",
        region_chain=QINNAN,
        outfall_subtype="qt_irrigation",
    )
    assert found.lead == WATER
    other = choose_route(
        rules, category="other", outfall_type="QT", region_chain=QINNAN, outfall_subtype="qt_port"
    )
    assert other.lead == HOUSING
