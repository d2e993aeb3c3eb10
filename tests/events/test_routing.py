"""Routing: every family goes to the department a city would expect, from different places; doubt → triage."""

from typing import Any

import pytest
from django.test import override_settings
from rest_framework.exceptions import ValidationError

from apps.events.models import EventCategory, EventFamily
from apps.events.routing import route_event
from apps.events.services import routing_rule_save
from tests.events.conftest import HH, NEAR_BOUNDARY, OUTSIDE, XA, report

XAY = (118.0433, 24.4850)  # 霞阳村, another community of 新阳街道
QJ = (117.9640, 24.4500)  # 青礁村, 海沧街道

# category (its family, default level) → expected department at 新垵村 (新阳街道) and at 海虹社区 (嵩屿街道)
TABLE = [
    ("dispute_neighbour", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 矛盾纠纷, community
    ("dispute_wage_arrears", "HC-SF-XY", "HC-SY-ZZ"),  # 矛盾纠纷, subdistrict: 新阳 has a justice office rule
    ("security_gathering", "HC-GA-XY", "HC-GA-SY"),  # 治安隐患, subdistrict: the police stations
    ("security_facility", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 治安隐患, community
    ("fire_rental", "HC-XF", "HC-XF"),  # 消防隐患, district fire brigade
    ("fire_passage_blocked", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 消防隐患, community
    ("safety_factory", "HC-YJ", "HC-YJ"),  # 安全生产, district
    ("safety_gas", "HC-XY-ZZ", "HC-SY-ZZ"),  # 安全生产, subdistrict
    ("sanitation_garbage", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 环境卫生, community
    ("sanitation_toilet", "HC-XY-ZZ", "HC-SY-ZZ"),  # 环境卫生, subdistrict
    ("construction_new", "HC-XY-ZZ", "HC-SY-ZZ"),  # 违法建设, subdistrict
    ("construction_extension", "HC-CG", "HC-CG"),  # 违法建设, district
    ("municipal_road", "HC-ZJ", "HC-ZJ"),  # 市政设施, district
    ("municipal_streetlight", "HC-XY-ZZ", "HC-SY-ZZ"),  # 市政设施, subdistrict
    ("ecology_floating_rubbish", "HC-XY-CG", "HC-SY-ZZ"),  # 生态环境: a deeper rule covers 新垵村
    ("ecology_site_dust", "HC-ST", "HC-ST"),  # 生态环境, district
    ("food_unlicensed", "HC-SCJG", "HC-SCJG"),  # 食品安全, district
    ("food_expired", "HC-SCJG", "HC-SCJG"),
    ("traffic_parking", "HC-XY-ZZ", "HC-SY-ZZ"),  # 交通安全, subdistrict
    ("traffic_hazard", "HC-JJ", "HC-JJ"),  # 交通安全, district
    ("population_unregistered", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 流动人口, community
    ("population_departed", "HC-XY-XA-CW", "HC-SY-HH-CW"),
    ("crisis_suicide_risk", "HC-GA-XY", "HC-SY-ZZ"),  # 心理危机: a category rule beats the family's in 新阳
    ("crisis_mental_episode", "HC-XY-ZZ", "HC-SY-ZZ"),
    ("special_correction_missed", "HC-XY-ZZ", "HC-SY-ZZ"),  # 特殊人群, subdistrict
    ("special_elderly_need", "HC-XY-XA-CW", "HC-SY-HH-CW"),  # 特殊人群, community
]


@pytest.mark.parametrize(("category", "at_xa", "at_hh"), TABLE)
def test_each_family_reaches_the_expected_department(
    routing: Any, category: str, at_xa: str, at_hh: str
) -> None:
    cat = EventCategory.objects.get(pk=category)
    for point, expected in ((XA, at_xa), (HH, at_hh)):
        _placement, route = route_event(category=cat, lon=point[0], lat=point[1])
        assert not route.triage, route.explanation
        assert route.department.code == expected, (category, point, route.explanation)
        assert route.explanation["department"] == expected and route.explanation["level"] == cat.default_level


def test_the_table_covers_every_family(routing: Any) -> None:
    covered = set(
        EventCategory.objects.filter(pk__in=[row[0] for row in TABLE]).values_list("family", flat=True)
    )
    assert covered == set(EventFamily.objects.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("category", "point", "expected"),
    [
        ("ecology_floating_rubbish", XAY, "HC-XY-ZZ"),  # the deeper rule covers 新垵村 only
        ("dispute_neighbour", XAY, "HC-XY-XAY-CW"),
        ("dispute_wage_arrears", QJ, "HC-SF-HC"),
        ("crisis_suicide_risk", QJ, "HC-HC-ZZ"),  # the category rule is 新阳's only
        ("security_gathering", QJ, "HC-GA-HC"),
    ],
)
def test_other_communities_and_subdistricts(routing: Any, category: str, point: Any, expected: str) -> None:
    _placement, route = route_event(
        category=EventCategory.objects.get(pk=category), lon=point[0], lat=point[1]
    )
    assert route.department.code == expected, route.explanation


def test_every_level_up_to_the_city_has_a_department(routing: Any) -> None:
    cat = EventCategory.objects.get(pk="dispute_neighbour")
    expected = {"community": "HC-XY-XA-CW", "subdistrict": "HC-SF-XY", "district": "HC-SF", "city": "XM-ZZ"}
    for level, code in expected.items():
        _placement, route = route_event(category=cat, lon=XA[0], lat=XA[1], level=level)
        assert route.department.code == code


@pytest.mark.parametrize("point", [NEAR_BOUNDARY, OUTSIDE])
def test_boundary_and_outside_points_go_to_triage(routing: Any, point: Any) -> None:
    _placement, route = route_event(
        category=EventCategory.objects.get(pk="dispute_neighbour"), lon=point[0], lat=point[1]
    )
    assert route.triage and route.department is None
    assert route.explanation["triage"] is True and route.explanation["reason"]


def test_the_margin_is_a_setting(routing: Any) -> None:
    cat = EventCategory.objects.get(pk="dispute_neighbour")
    with override_settings(GRIDAPI_EVENT_BOUNDARY_MARGIN_M=5.0):
        _placement, route = route_event(category=cat, lon=NEAR_BOUNDARY[0], lat=NEAR_BOUNDARY[1])
    assert route.department.code == "HC-XY-XA-CW"


def test_no_rule_goes_to_triage_with_the_reason(routing: Any, territory: Any) -> None:
    from apps.events.models import RoutingRule

    RoutingRule.objects.filter(family="dispute", level="community").delete()
    _placement, route = route_event(
        category=EventCategory.objects.get(pk="dispute_neighbour"), lon=XA[0], lat=XA[1]
    )
    assert route.triage and "dispute_neighbour" in route.explanation["reason"]


def test_reported_event_records_why_it_went_where(routing: Any, api_client: Any, reporter: Any) -> None:
    body = report(api_client(reporter), "fire_rental")
    assert body["status"] == "dispatched"
    assert body["routing"]["department"] == "HC-XF" and body["routing"]["node"] == "350205"
    assert body["routing"]["matched_on"] == "family" and body["routing"]["rule"]
    triaged = report(api_client(reporter), "dispute_family", NEAR_BOUNDARY)
    assert triaged["status"] == "reported" and triaged["routing"]["triage"] is True


class TestRulesAreValidatedWhenSaved:
    def test_a_tie_is_refused(self, routing: Any, territory: Any) -> None:
        with pytest.raises(ValidationError) as excinfo:
            routing_rule_save(level="district", node=territory["350205"], department=routing["HC-GA"],
                              family=EventFamily.objects.get(pk="fire"))  # fmt: skip
        assert "无法区分" in str(excinfo.value.detail["node"][0])

    def test_a_department_of_another_level_is_refused(self, routing: Any, territory: Any) -> None:
        with pytest.raises(ValidationError) as excinfo:
            routing_rule_save(level="community", node=territory["HC-XY-XA"], department=routing["HC-XF"],
                              category=EventCategory.objects.get(pk="fire_rental"))  # fmt: skip
        assert "department" in excinfo.value.detail

    def test_a_node_outside_the_jurisdiction_is_refused(self, routing: Any, territory: Any) -> None:
        with pytest.raises(ValidationError) as excinfo:
            routing_rule_save(level="subdistrict", node=territory["HC-SY"], department=routing["HC-GA-XY"],
                              category=EventCategory.objects.get(pk="fire_rental"))  # fmt: skip
        assert "不在该部门辖区内" in str(excinfo.value.detail["department"][0])

    def test_grids_and_double_targets_are_refused(self, routing: Any, territory: Any) -> None:
        with pytest.raises(ValidationError) as excinfo:
            routing_rule_save(level="community", node=territory["HC-XY-XA-01"], department=routing["HC-XY-XA-CW"],
                              category=EventCategory.objects.get(pk="fire_rental"),
                              family=EventFamily.objects.get(pk="fire"))  # fmt: skip
        assert set(excinfo.value.detail) >= {"node", "category"}

    def test_a_category_rule_beside_a_family_rule_is_not_a_tie(self, routing: Any, territory: Any) -> None:
        rule = routing_rule_save(level="district", node=territory["350205"], department=routing["HC-GA"],
                                 category=EventCategory.objects.get(pk="fire_rental"))  # fmt: skip
        _placement, route = route_event(
            category=EventCategory.objects.get(pk="fire_rental"), lon=XA[0], lat=XA[1]
        )
        assert route.rule == rule and route.department.code == "HC-GA"
