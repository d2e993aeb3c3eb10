"""Moving in (人来登记) and moving out (人走注销)."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.errors import Conflict
from apps.core.locks import advisory_xact_lock
from apps.journal.models import Change
from apps.journal.services import journal_record

from ..models import RecordType, Residence
from ..organisations.alerts import alerts_on_residence


@transaction.atomic
def residence_collect(
    *, person: Any, building: Any, room: str, relation: str, since: dt.date | None = None,
    until: dt.date | None = None,
) -> tuple[Residence, bool]:  # fmt: skip
    """Register ``person`` in ``building``/``room``. An open residence of the same place is updated,
    not duplicated. Returns (residence, created)."""
    if person.merged_into_id or building.merged_into_id:
        raise ValidationError({"id": [_("Residences are recorded on canonical records only.")]})
    if since and until and until < since:
        raise ValidationError({"until": [_("Must not be before since.")]})
    # A row lock cannot hold a residence that does not exist yet: two devices registering the same move-in
    # at once would both find none and both create it (and raise its arrival alert twice). The person's lock
    # makes the second wait and find the first's.
    advisory_xact_lock([("residence", str(person.pk))])
    existing = (
        Residence.objects.select_for_update()
        .filter(person=person, building=building, room=room, until__isnull=True)
        .first()
    )
    if existing is not None:
        if until and until < (since or existing.since or until):
            raise ValidationError({"until": [_("Must not be before since.")]})
        changed = False
        for name, value in (("relation", relation), ("since", since or existing.since), ("until", until)):
            if getattr(existing, name) != value:
                setattr(existing, name, value)
                changed = True
        if changed:
            existing.version += 1
            existing.save()
            _journal(existing, Change.UPDATED, building.grid_id)
            alerts_on_residence(residence=existing, created=False, ended=until is not None)
        return existing, False
    residence = Residence.objects.create(
        person=person, building=building, room=room, relation=relation, since=since, until=until
    )
    _journal(residence, Change.CREATED, building.grid_id)
    alerts_on_residence(residence=residence, created=True, ended=False)
    return residence, True


@transaction.atomic
def residence_end(*, residence: Residence, until: dt.date) -> Residence:
    """The person moved out on ``until``."""
    residence = Residence.objects.select_for_update().select_related("building").get(pk=residence.pk)
    if residence.until is not None:
        raise Conflict(
            _("This residence already ended on %(until)s.") % {"until": residence.until.isoformat()}
        )
    if residence.since and until < residence.since:
        raise ValidationError({"until": [_("Must not be before since.")]})
    residence.until = until
    residence.version += 1
    residence.save(update_fields=["until", "version", "updated_at"])
    _journal(residence, Change.UPDATED, residence.building.grid_id, fields=["until"])
    alerts_on_residence(residence=residence, created=False, ended=True)
    return residence


# What a device may correct of a residence it collected (who lives where is a new residence).
RESIDENCE_EDITABLE = ("room", "relation", "since", "until")


@transaction.atomic
def residence_update(*, residence: Residence, changes: dict[str, Any]) -> Residence:
    """Correct the room, relation or dates of ``residence``; unchanged values are left alone."""
    residence = Residence.objects.select_for_update().select_related("building").get(pk=residence.pk)
    unknown = set(changes) - set(RESIDENCE_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    changed = [
        name for name in RESIDENCE_EDITABLE if name in changes and changes[name] != getattr(residence, name)
    ]
    if not changed:
        return residence
    for name in changed:
        setattr(residence, name, changes[name])
    if residence.since and residence.until and residence.until < residence.since:
        raise ValidationError({"until": [_("Must not be before since.")]})
    residence.version += 1
    residence.save(update_fields=[*changed, "version", "updated_at"])
    _journal(residence, Change.UPDATED, residence.building.grid_id, fields=changed)
    alerts_on_residence(
        residence=residence, created=False, ended="until" in changed and residence.until is not None
    )
    return residence


def _journal(residence: Residence, change: str, grid_id: Any, fields: list[str] | None = None) -> None:
    journal_record(
        record_type=RecordType.RESIDENCE, record_id=residence.pk, change=change, version=residence.version,
        grid_id=grid_id, fields=fields or [],
    )  # fmt: skip
