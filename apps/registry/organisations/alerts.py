"""Watch rules (人来预警、人走提醒) and the alerts they raise.

An arrival is a current residence of a person carrying a watched tag in a grid of a rule's territory; a
departure is the end of such a residence. Each raises one alert per rule, however often the same change is
replayed or pushed concurrently (a unique constraint on rule × kind × residence, inserted with ON CONFLICT DO
NOTHING). The alert row is the department's notice and the outbox row of its webhook; workers of the grid pull
it. An alert reveals the person's tag, so raising it writes the access log for the department it goes to.
Apps above the registry follow the alerts raised (operations opens the follow-up visit) by registering with
``alert_followers_register``.
"""

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.errors import Conflict
from apps.core.ids import uuid7
from apps.journal.models import AccessChannel, Change
from apps.journal.services import access_entry, access_log, journal_record
from apps.territory.models import TerritoryNode

from ..models import Residence
from .models import Alert, AlertKind, AlertStatus, WatchRule, WatchRuleAudit

EDITABLE = ("name", "tags", "kinds", "purpose", "is_active")


def _snapshot(rule: WatchRule) -> dict[str, Any]:
    return {
        "department": rule.department.code, "name": rule.name, "tags": sorted(rule.tags), "kinds": sorted(rule.kinds),
        "nodes": sorted(node.code for node in rule.nodes.all()), "purpose": rule.purpose, "is_active": rule.is_active,
        "version": rule.version,
    }  # fmt: skip


def _check(values: dict[str, Any], nodes: list[Any] | None) -> None:
    errors: dict[str, list[str]] = {}
    if not str(values.get("purpose", "")).strip():
        errors["purpose"] = [_("A purpose is required: why the department needs to know.")]
    if not values.get("tags"):
        errors["tags"] = [_("At least one person tag.")]
    if not values.get("kinds"):
        errors["kinds"] = [_("At least one of arrival, departure.")]
    if nodes is not None and not nodes:
        errors["nodes"] = [_("At least one territory node.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def watch_rule_create(*, department: Any, nodes: list[Any], actor: Any, **values: Any) -> WatchRule:
    """A rule telling ``department`` of arrivals/departures of tagged people in ``nodes``; audited."""
    _check(values, nodes)
    rule = WatchRule.objects.create(
        department=department, **{k: v for k, v in values.items() if k in EDITABLE}
    )
    rule.nodes.set(nodes)
    WatchRuleAudit.objects.create(rule=rule, actor=actor, action="created", after=_snapshot(rule))
    return rule


@transaction.atomic
def watch_rule_update(
    *, rule: WatchRule, actor: Any, nodes: list[Any] | None = None, **values: Any
) -> WatchRule:
    """Change a rule (a new version); audited with what it was and what it became."""
    rule = WatchRule.objects.select_for_update().select_related("department").get(pk=rule.pk)
    before = _snapshot(rule)
    _check({name: getattr(rule, name) for name in EDITABLE} | values, nodes)
    for name, value in values.items():
        if name in EDITABLE:
            setattr(rule, name, value)
    rule.version += 1
    rule.save()
    if nodes is not None:
        rule.nodes.set(nodes)
    action = "deactivated" if before["is_active"] and not rule.is_active else "updated"
    WatchRuleAudit.objects.create(rule=rule, actor=actor, action=action, before=before, after=_snapshot(rule))
    return rule


def _rules_for(*, tags: list[str], grid_id: Any, kind: str) -> list[WatchRule]:
    """Active rules of ``kind`` watching one of ``tags`` whose territory holds the grid: one query (a node holds
    the grid when the grid's path starts with the node's)."""
    grid_path = TerritoryNode.objects.filter(pk=grid_id).values("path")[:1]
    return list(
        WatchRule.objects.filter(is_active=True, kinds__contains=[kind], tags__overlap=list(tags))
        .annotate(grid_path=Subquery(grid_path))
        .filter(grid_path__startswith=F("nodes__path"))
        .distinct()
        .order_by("pk")
    )


_INSERT = """
INSERT INTO registry_alert (id, created_at, updated_at, rule_id, department_id, kind, person_id, residence_id,
                            building_id, grid_id, at, status)
SELECT a.id, %(now)s, %(now)s, a.rule_id, a.department_id, %(kind)s, %(person)s, %(residence)s, %(building)s,
       %(grid)s, %(now)s, 'open'
FROM unnest(%(ids)s::uuid[], %(rules)s::uuid[], %(departments)s::uuid[]) AS a(id, rule_id, department_id)
ON CONFLICT DO NOTHING
RETURNING id
"""


def _insert_once(
    rows: list[tuple[Any, Any, Any]], *, kind: str, residence: Residence, grid_id: Any, now: Any
) -> list[Any]:
    """Insert one alert per (id, rule, department) unless the rule already has one for this move: the ids
    inserted now. A concurrent insert of the same alert waits on the unique index and then inserts nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "now": now, "kind": kind, "person": residence.person_id, "residence": residence.pk,
                "building": residence.building_id, "grid": grid_id, "ids": [r[0] for r in rows],
                "rules": [r[1] for r in rows], "departments": [r[2] for r in rows],
            },
        )  # fmt: skip
        return [row[0] for row in cursor.fetchall()]


def alerts_raise(*, residence: Residence, kind: str) -> list[Alert]:
    """Raise the alerts a residence's arrival or departure owes (inside the caller's transaction).

    Returns the alerts raised now (none for a replay). Cheap when nobody is watched: people without tags
    cost no query.
    """
    person, building = residence.person, residence.building
    if not person.tags or building.grid_id is None:
        return []
    rules = _rules_for(tags=person.tags, grid_id=building.grid_id, kind=kind)
    if not rules:
        return []
    now = timezone.now()
    fresh_ids = _insert_once(
        [(uuid7(), rule.pk, rule.department_id) for rule in rules],
        kind=kind,
        residence=residence,
        grid_id=building.grid_id,
        now=now,
    )
    fresh = list(Alert.objects.filter(pk__in=fresh_ids).select_related("rule"))
    for alert in fresh:  # the grid's workers pull it
        journal_record(record_type="alert", record_id=alert.pk, change=Change.CREATED, version=1,
                       grid_id=alert.grid_id)  # fmt: skip
    access_log(
        access_entry(
            channel=AccessChannel.REST,
            record_type="person",
            record_id=person.pk,
            fields=["tags"],
            department_id=alert.department_id,
            purpose=f"watch rule {alert.rule.name}: {alert.rule.purpose}",
        )
        for alert in fresh
    )
    if fresh:
        for follower in _followers:
            follower(fresh)
    return fresh


# Apps above the registry follow new alerts (operations opens their follow-up visits), in the raising transaction.
AlertFollower = Callable[[list[Alert]], None]
_followers: list[AlertFollower] = []


def alert_followers_register(follower: AlertFollower) -> None:
    """``follower(alerts)`` is called with the alerts just raised, inside the transaction that raised them."""
    if follower not in _followers:
        _followers.append(follower)


def alerts_on_residence(*, residence: Residence, created: bool, ended: bool) -> None:
    """The residence services' hook: a new current residence is an arrival, an ended one a departure."""
    if created and residence.until is None:
        alerts_raise(residence=residence, kind=AlertKind.ARRIVAL)
    if ended:
        alerts_raise(residence=residence, kind=AlertKind.DEPARTURE)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, principal: Any) -> Alert:
    """The department (its staff or its system) or a worker of the grid saw the alert."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise Conflict(_("This alert has already been acknowledged."))
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, timezone.now()
    if getattr(principal, "role", None) == "department_system":
        alert.acknowledged_by_department_id = principal.department_id
    else:
        alert.acknowledged_by = principal
        if getattr(principal, "role", None) == "department_staff":
            alert.acknowledged_by_department_id = alert.department_id
    alert.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledged_by_department",
            "updated_at",
        ]
    )
    journal_record(record_type="alert", record_id=alert.pk, change=Change.UPDATED, version=1, grid_id=alert.grid_id,
                   fields=["status"], actor=principal)  # fmt: skip
    return alert


# The Standard Webhooks event type of each alert kind (the sharing fan-out sends alerts as it sends notices).
WEBHOOK_EVENT_TYPES = {AlertKind.ARRIVAL: "person.arrived", AlertKind.DEPARTURE: "person.left"}


def alert_payload(alert: Alert) -> dict[str, Any]:
    """What a department's webhook receives of an alert (the same fields as the REST representation)."""
    return {
        "alert_id": str(alert.pk), "rule": str(alert.rule_id), "kind": alert.kind, "person_id": str(alert.person_id),
        "building_id": str(alert.building_id), "residence_id": str(alert.residence_id), "grid_id": str(alert.grid_id),
        "at": alert.at.isoformat(), "status": alert.status,
    }  # fmt: skip


def alerts_to_fan_out(*, limit: int) -> list[Alert]:
    """The oldest alerts not yet made into webhook deliveries (lock them with the fan-out's transaction)."""
    return list(
        Alert.objects.filter(fanned_out_at__isnull=True)
        .select_for_update(skip_locked=True)
        .order_by("created_at")[:limit]
    )
