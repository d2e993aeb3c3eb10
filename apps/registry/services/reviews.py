"""Dispatchers' decisions on review items: merge the possible duplicate, keep it apart, or accept what a
collector outside the record's scope brought."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from apps.core.errors import Conflict

from ..models import ReviewItem, ReviewStatus
from .common import held_by_another, journal_update
from .merge_rules import FILLABLE, HELD_OUTSIDE_SCOPE, HELD_REASON, MODELS, fill_survivor
from .merging import record_merge


@transaction.atomic
def review_decide(*, item: ReviewItem, decision: str, actor: Any, note: str = "") -> ReviewItem:
    """Decide a possible duplicate: ``merge`` (the newer record joins the older) or ``keep_apart``."""
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(_("This review item has already been decided."))
    if decision == "merge" and item.reasons[:1] == [HELD_REASON]:
        _apply_held(item, actor)
        item.status = ReviewStatus.MERGED
    elif decision == "merge":
        record_merge(
            record_type=item.record_type, survivor_id=item.candidate_id, merged_id=item.record_id, actor=actor,
            note=note,
        )  # fmt: skip
        item.refresh_from_db()
        item.status = ReviewStatus.MERGED
    elif decision == "keep_apart":
        item.status = ReviewStatus.KEPT_APART
    else:
        raise ValidationError({"decision": [_("Must be merge or keep_apart.")]})
    item.decided_by, item.decided_at, item.note = actor, timezone.now(), note
    item.save()
    return item


def _apply_held(item: ReviewItem, actor: Any) -> None:
    """A dispatcher accepts what a collector outside the record's scope brought (tags, ID or passport number):
    filled in from the tombstone that kept it, as a merge would have (a differing number as an alternative)."""
    model = MODELS[item.record_type]
    survivor = model.objects.select_for_update().get(pk=item.record_id)
    tombstone = model.objects.get(pk=item.candidate_id)
    held = HELD_OUTSIDE_SCOPE[item.record_type]
    values = {name: getattr(tombstone, name) if name in held else None for name in FILLABLE[item.record_type]}
    filled = fill_survivor(item.record_type, survivor, values, str(item.pk))
    if "id_number_index" in filled and held_by_another(
        model, column="id_number_index", value=survivor.id_number_index, record_id=survivor.pk
    ):
        raise Conflict(_("Another record has this ID number; merge them instead."))
    survivor.version += 1
    survivor.save()
    journal_update(record_type=item.record_type, record=survivor, fields=filled, actor=actor)
