"""Shapes of the statistics endpoints: the query parameters and the tables, each indicator documented."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from ..indicators import DEFINITIONS, MAX_PERIODS, PERIOD_KINDS, periods_between
from ..selectors import DIMENSIONS, Query, default_node, department_in_scope, node_in_scope

EXPORT_FORMATS = ("json", "csv", "xlsx", "png", "svg")


class StatsPeriodQuerySerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(
        choices=PERIOD_KINDS, default="month", help_text="Periods of the table, in Asia/Shanghai days."
    )
    start = serializers.DateField(required=False, help_text="A day in the first period (default: today).")
    end = serializers.DateField(required=False, help_text="A day in the last period (default: start).")
    node = serializers.CharField(
        required=False, max_length=32, help_text="A territory node code: count within it (drill-down)."
    )
    format = serializers.ChoiceField(
        choices=EXPORT_FORMATS, required=False, help_text="json, csv, xlsx, png, svg"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        principal = self.context["principal"]
        start = attrs.get("start") or timezone.localdate()
        end = attrs.get("end") or start
        if end < start:
            raise serializers.ValidationError({"end": [_("The end is before the start.")]})
        periods = periods_between(attrs["period"], start, end)
        if len(periods) > MAX_PERIODS:
            raise serializers.ValidationError({"end": [_("At most %(max)d periods.") % {"max": MAX_PERIODS}]})
        attrs["periods"] = periods
        if attrs.get("node"):
            node = node_in_scope(principal, attrs["node"])
            if node is None:
                raise serializers.ValidationError(
                    {"node": [_("No such territory node among those you may see.")]}
                )
            attrs["node"] = node
        return attrs


class StatsIndicatorQuerySerializer(StatsPeriodQuerySerializer):
    dimension = serializers.ChoiceField(
        choices=DIMENSIONS, default="department",
        help_text="Break the table down by department, node (children of `node`), category, channel, "
        "worker (有效上报率), or only the total.",
    )  # fmt: skip
    category = serializers.CharField(required=False, max_length=48, help_text="Only this event category.")
    department = serializers.CharField(
        required=False, max_length=32, help_text="Only this department (code)."
    )
    indicator = serializers.ChoiceField(
        choices=sorted(DEFINITIONS), default="composite", help_text="The indicator a chart shows."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        principal = self.context["principal"]
        if attrs.get("department"):
            department = department_in_scope(principal, attrs["department"])
            if department is None:
                raise serializers.ValidationError(
                    {"department": [_("No such department among those you may see.")]}
                )
            attrs["department"] = department
        if attrs["dimension"] == "node" and not attrs.get("node"):
            attrs["node"] = default_node(principal)
            if attrs["node"] is None:
                raise serializers.ValidationError({"node": [_("Name the node to drill down from.")]})
        return attrs

    def query(self) -> Query:
        data = self.validated_data
        department = data.get("department")
        return Query(dimension=data["dimension"], periods=data["periods"], node=data.get("node"),
                     category=data.get("category"), department_id=department.pk if department else None,
                     kind=data["period"])  # fmt: skip


class StatsIndicatorValueSerializer(serializers.Serializer[Any]):
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=False,
        help_text="Rates in percent (null when the denominator is 0); counts as they are.",
    )  # fmt: skip


def _indicator_fields() -> dict[str, Any]:
    return {
        name: StatsIndicatorValueSerializer(help_text=f"{chinese}: {definition}")
        for name, (chinese, definition) in DEFINITIONS.items()
    }


StatsIndicatorsSerializer = type("StatsIndicatorsSerializer", (serializers.Serializer,), _indicator_fields())


class StatsIndicatorRowSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(help_text="2026-11, 2026-W45, 2026-Q4, 2026, 2026-11-02 or start/end")
    level = serializers.ChoiceField(choices=DIMENSIONS, help_text="total, or the dimension of the row")
    key = serializers.CharField(
        allow_null=True, help_text="Department code, node code, category code, user …"
    )
    name = serializers.CharField(allow_null=True)
    grade = serializers.ChoiceField(
        choices=["A", "B", "C", "D", "E"], allow_null=True,
        help_text="By 综合指标值: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E.",
    )  # fmt: skip
    indicators = StatsIndicatorsSerializer()


class StatsPeriodSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]  # a period's label, not the field's
    start = serializers.DateField()
    end = serializers.DateField()


class StatsIndicatorTableSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    period = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    periods = StatsPeriodSerializer(many=True)
    rollups_as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the rollups last took in event changes (every few seconds)."
    )
    rows = StatsIndicatorRowSerializer(many=True)


class StatsRegistryQuerySerializer(StatsPeriodQuerySerializer):
    """The node (default: the caller's territory, or the root) and the periods of arrivals and departures."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs.get("node"):
            attrs["node"] = default_node(self.context["principal"])
            if attrs["node"] is None:
                raise serializers.ValidationError({"node": [_("Name the territory node.")]})
        return attrs


def _counts_field(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class StatsPopulationSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="实有人口: canonical people placed in the node's grids.")
    household_type = _counts_field(
        "By household type (户籍 registered, 流动 floating, 境外 overseas, unknown)."
    )
    gender = _counts_field("By gender (male, female, unknown).")
    age_band = _counts_field("By age today: 0-17, 18-34, 35-59, 60-79, 80+, unknown.")
    special_groups = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="特殊人群 by tag: only the tags the caller is entitled to see (administrators and dispatchers: all; "
        "departments: those a subscription grants with the field person.tags); null when none.",
    )  # fmt: skip


class StatsHousingSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="实有房屋: canonical buildings placed in the node's grids.")
    use = _counts_field("By use (residential, rental 出租屋, shop, factory, school, office, other, unknown).")


class StatsOrganisationsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(
        help_text="实有单位: canonical organisations in place (operating) in the node's grids."
    )
    kind = _counts_field(
        "By kind (enterprise, individual 个体工商户, social_org, public_institution, government, other, unknown)."
    )
    tag = _counts_field(
        "By tag (nine_small 九小场所, three_in_one 三合一, hazmat 危化品, crowded 人员密集); one may carry several."
    )


class StatsMovementSerializer(serializers.Serializer[Any]):
    period = serializers.CharField()
    arrivals = serializers.IntegerField(help_text="迁入: residences starting in the period.")
    departures = serializers.IntegerField(help_text="迁出: residences ending in the period.")


class StatsRegistryRowSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(
        choices=["total", "node"], help_text="total: the node itself; node: a child"
    )
    key = serializers.CharField(help_text="Territory node code.")
    name = serializers.CharField()
    population = StatsPopulationSerializer()
    housing = StatsHousingSerializer()
    organisations = StatsOrganisationsSerializer()
    movement = StatsMovementSerializer(many=True)


class StatsRegistryTableSerializer(serializers.Serializer[Any]):
    node = serializers.CharField()
    periods = StatsPeriodSerializer(many=True)
    special_groups_shown = serializers.BooleanField()
    rows = StatsRegistryRowSerializer(many=True)
