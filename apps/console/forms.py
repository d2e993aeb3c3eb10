"""The console's forms: what a page posts, validated before any service runs (bad input is a message and a
re-shown page, never a 500)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.events.models import LEVELS


class EventActionForm(forms.Form):
    """An action on an event, with the version of the event the page showed (the console's If-Match)."""

    action = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(required=False, max_length=2000, label=_("note"))
    department = forms.CharField(required=False, max_length=64, label=_("department"))
    level = forms.ChoiceField(required=False, choices=[("", "")] + [(level, level) for level in LEVELS])
    rating = forms.IntegerField(required=False, min_value=1, max_value=5, label=_("rating"))
    days = forms.DecimalField(required=False, min_value=0, max_value=30, decimal_places=2, label=_("days"))

    def params(self) -> dict[str, Any]:
        """The action's parameters as the events service reads them (absent when not given)."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name in ("department", "level"):
            if data.get(name):
                params[name] = data[name]
        if data.get("rating") is not None:
            params["rating"] = data["rating"]
        if data.get("days") is not None:
            params["days"] = str(data["days"])
        return params


class DispatchForm(forms.Form):
    """One-click dispatch from the triage queue (empty department: by the routing rules)."""

    version = forms.IntegerField(min_value=1)
    department = forms.CharField(required=False, max_length=64)


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("merge", _("merge")), ("keep_apart", _("keep apart"))])
    note = forms.CharField(required=False, max_length=2000)


class ConflictResolveForm(forms.Form):
    keep = forms.ChoiceField(choices=[("server", _("server")), ("device", _("device"))])


class MapQueryForm(forms.Form):
    """The map's view: zoom and bounding box (west, south, east, north)."""

    zoom = forms.IntegerField(min_value=0, max_value=22)
    bbox = forms.CharField(required=False, max_length=200)

    def clean_bbox(self) -> tuple[float, float, float, float] | None:
        raw = self.cleaned_data.get("bbox") or ""
        if not raw:
            return None
        try:
            west, south, east, north = (float(part) for part in raw.split(","))
        except ValueError as exc:
            raise forms.ValidationError(_("Four numbers: west,south,east,north.")) from exc
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise forms.ValidationError(_("Four numbers: west,south,east,north, on the earth."))
        return west, south, east, north
