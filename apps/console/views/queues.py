"""The review queue (possible duplicates side by side, merge or keep apart, undo) and the conflicts queue."""

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from apps.core.visibility import visible, visible_get_or_404
from apps.registry import services as registry_services
from apps.registry.models import Building, MergeEvent, Person, RecordType, ReviewItem, ReviewStatus
from apps.registry.organisations.models import Organisation
from apps.sync.models import ConflictItem, ConflictStatus
from apps.sync.services import conflict_device_value_shown, conflict_resolve
from apps.sync.services.conflicts import masked

from ..access import console_page
from ..forms import ConflictResolveForm, ReviewDecisionForm
from .feedback import form_errors, refused, see_other

QUEUE_PAGE = 20
MODELS: dict[str, Any] = {RecordType.BUILDING: Building, RecordType.PERSON: Person,
                          RecordType.ORGANISATION: Organisation}  # fmt: skip
# What the side-by-side view compares (never a personal number or a tag).
SHOWN: dict[str, list[str]] = {
    RecordType.BUILDING: ["name", "address", "address_code", "house_number", "block_number", "use", "floors"],
    RecordType.PERSON: ["name", "gender", "birth_date"],
    RecordType.ORGANISATION: ["name", "kind", "address"],
}


def _records(request: HttpRequest, items: list[ReviewItem]) -> dict[Any, Any]:
    """{id: record} of the records the items compare, through the gate, one read per record type."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for item in items:
        wanted[item.record_type] |= {item.record_id, item.candidate_id}
    found: dict[Any, Any] = {}
    for record_type, ids in wanted.items():
        model = MODELS.get(record_type)
        if model is not None:
            found.update((r.pk, r) for r in visible(model, request.user).filter(pk__in=ids))
    return found


def _fields(record_type: str, record: Any) -> list[tuple[str, Any]]:
    if record is None:
        return []
    model = MODELS[record_type]
    rows = []
    for name in SHOWN.get(record_type, ["name"]):
        value = getattr(record, f"get_{name}_display", lambda n=name: getattr(record, n, ""))()
        rows.append((str(model._meta.get_field(name).verbose_name), value))
    return rows


@console_page
def reviews(request: HttpRequest) -> HttpResponse:
    items = list(
        visible(ReviewItem, request.user).filter(status=ReviewStatus.OPEN).select_related("grid")
        .order_by("created_at")[:QUEUE_PAGE]
    )  # fmt: skip
    records = _records(request, items)
    rows = []
    for item in items:
        record, candidate = records.get(item.record_id), records.get(item.candidate_id)
        rows.append({"item": item, "record": _fields(item.record_type, record),
                     "candidate": _fields(item.record_type, candidate)})  # fmt: skip
    merges = list(
        visible(MergeEvent, request.user).filter(undone_at__isnull=True, automatic=False)
        .order_by("-created_at")[:QUEUE_PAGE]
    )  # fmt: skip
    return render(request, "console/reviews.html", {"rows": rows, "merges": merges, "nav": "reviews"})


@console_page
@require_POST
def review_decide(request: HttpRequest, pk: Any) -> HttpResponse:
    item = visible_get_or_404(ReviewItem, request.user, pk)
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form.errors)
    else:
        try:
            registry_services.review_decide(item=item, actor=request.user, **form.cleaned_data)
        except APIException as exc:
            refused(request, exc)
        else:
            messages.success(
                request, _("Decided: %(decision)s.") % {"decision": form.cleaned_data["decision"]}
            )
    return see_other(reverse("console:reviews"))


@console_page
@require_POST
def merge_undo(request: HttpRequest, pk: Any) -> HttpResponse:
    merge = visible_get_or_404(MergeEvent, request.user, pk)
    try:
        registry_services.record_unmerge(event=merge, actor=request.user)
    except APIException as exc:
        refused(request, exc)
    else:
        messages.success(request, _("The merge has been undone: both records are back."))
    return see_other(reverse("console:reviews"))


@console_page
def conflicts(request: HttpRequest) -> HttpResponse:
    items = list(
        visible(ConflictItem, request.user).filter(status=ConflictStatus.OPEN).select_related("grid", "user")
        .order_by("created_at")[:QUEUE_PAGE]
    )  # fmt: skip
    rows = [{"item": c, "device": conflict_device_value_shown(c), "server": masked(c.field, c.server_value)}
            for c in items]  # fmt: skip
    return render(request, "console/conflicts.html", {"rows": rows, "nav": "conflicts"})


@console_page
@require_POST
def conflict_decide(request: HttpRequest, pk: Any) -> HttpResponse:
    conflict = visible_get_or_404(ConflictItem, request.user, pk)
    form = ConflictResolveForm(request.POST)
    if not form.is_valid():
        form_errors(request, form.errors)
    else:
        try:
            conflict_resolve(conflict=conflict, keep=form.cleaned_data["keep"], actor=request.user)  # type: ignore[arg-type]
        except APIException as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Conflict resolved."))
    return see_other(reverse("console:conflicts"))
