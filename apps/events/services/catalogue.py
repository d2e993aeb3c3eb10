"""Writes of the catalogue and routing configuration: rules validated before they are saved."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.departments.models import Department
from apps.territory.models import Level, TerritoryNode

from ..models import EventCategory, EventFamily, RoutingRule


def routing_rule_problems(
    *,
    category: EventCategory | None,
    family: EventFamily | None,
    level: str,
    node: TerritoryNode,
    department: Department,
    exclude_pk: Any = None,
) -> dict[str, list[str]]:
    """Why this rule cannot be saved (empty when it can): ambiguity, scope and level mismatches."""
    problems: dict[str, list[str]] = {}
    if (category is None) == (family is None):
        problems["category"] = [_("Give either a category or a family, not both.")]
    if node.level == Level.GRID:
        problems["node"] = [_("Rules apply to a community or above, not to a single grid.")]
    if department.level != level:
        problems["department"] = [
            _("The department works at %(dept)s level; the rule is for %(level)s level.")
            % {"dept": department.level, "level": level}
        ]
    if not node.path.startswith(department.jurisdiction.path):
        problems.setdefault("department", []).append(
            _("%(node)s lies outside the department's jurisdiction.") % {"node": node.code}
        )
    same = RoutingRule.objects.filter(level=level, node=node).exclude(pk=exclude_pk)
    clash = same.filter(category=category).first() if category else same.filter(family=family).first()
    if clash is not None:
        problems["node"] = [
            _(
                "A rule for the same %(what)s, level and territory already routes to %(dept)s: the two would tie."
            )
            % {"what": _("category") if category else _("family"), "dept": clash.department.code}
        ]
    return problems


@transaction.atomic
def routing_rule_save(
    *,
    level: str,
    node: TerritoryNode,
    department: Department,
    category: EventCategory | None = None,
    family: EventFamily | None = None,
    note: str = "",
    rule: RoutingRule | None = None,
) -> RoutingRule:
    """Create or change a rule, refusing any that would be ambiguous or point outside the department's area."""
    problems = routing_rule_problems(
        category=category, family=family, level=level, node=node, department=department,
        exclude_pk=rule.pk if rule else None,
    )  # fmt: skip
    if problems:
        raise ValidationError(problems)
    rule = rule or RoutingRule()
    rule.category, rule.family, rule.level, rule.node, rule.department, rule.note = (
        category, family, level, node, department, note
    )  # fmt: skip
    rule.save()
    return rule
