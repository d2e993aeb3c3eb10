"""Views and API serializers reach models only through the visibility gate, and every model a client
reaches through the API is registered with it."""

from pathlib import Path
from typing import Any

import pytest
from django.db.models import Model
from drf_spectacular.generators import SchemaGenerator
from rest_framework.serializers import ModelSerializer

from apps.core.visibility import registered_models

from .gate_check import violations, violations_in_source

APPS = Path(__file__).resolve().parents[2] / "apps"


def test_api_modules_query_models_only_through_the_gate() -> None:
    found = violations(APPS)
    assert not found, (
        "queries around the visibility gate (start from visible(Model, principal)):\n" + "\n".join(found)
    )


AROUND_THE_GATE = """
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers
from apps.registry.models import Building, Person

class BuildingList(generics.ListAPIView):
    queryset = Building.objects.all()

class AssignmentInput(serializers.Serializer):
    worker = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    landlord = serializers.PrimaryKeyRelatedField(queryset=Person._default_manager.all())

def detail(request, pk):
    return get_object_or_404(Building, pk=pk)
"""

THROUGH_THE_GATE = """
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from apps.core.visibility import visible, visible_get_or_404
from apps.events.models import Event, TimelineEntry

def detail(request, pk):
    event = visible_get_or_404(Event, request.user, pk)
    rows = visible(Event, request.user).prefetch_related(
        Prefetch("timeline", queryset=TimelineEntry.objects.order_by("at"))
    )
    return get_object_or_404(visible(Event, request.user).select_related("grid"), pk=pk), rows
"""


def test_the_gate_check_flags_each_way_around_the_gate() -> None:
    assert violations_in_source(AROUND_THE_GATE) == [
        (8, "Building.objects"),
        (11, "get_user_model().objects"),
        (12, "Person._default_manager"),
        (15, "get_object_or_404(Building, …)"),
    ]
    assert violations_in_source(THROUGH_THE_GATE) == []


def test_the_gate_check_reads_a_real_api_module(tmp_path: Path) -> None:
    """A view written around the gate into an app's api/ package of a copy of the tree is caught."""
    api = tmp_path / "apps" / "probe" / "api"
    api.mkdir(parents=True)
    (api / "views.py").write_text(AROUND_THE_GATE, encoding="utf-8")
    (api / "urls.py").write_text("from .views import Building\nBuilding.objects.all()\n", encoding="utf-8")
    assert violations(tmp_path / "apps") == [
        "apps/probe/api/views.py:8: Building.objects",
        "apps/probe/api/views.py:11: get_user_model().objects",
        "apps/probe/api/views.py:12: Person._default_manager",
        "apps/probe/api/views.py:15: get_object_or_404(Building, …)",
    ]


def _top_level_components(schema: dict[str, Any]) -> set[str]:
    """Names of the schema components operations answer with directly (a page's items included)."""
    components = schema["components"]["schemas"]
    names: set[str] = set()

    def ref_name(node: dict[str, Any]) -> str | None:
        ref = node.get("$ref") or (node.get("items") or {}).get("$ref")
        return ref.rsplit("/", 1)[-1] if ref else None

    for operations in schema["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    name = ref_name(media.get("schema", {}))
                    if not name:
                        continue
                    results = components.get(name, {}).get("properties", {}).get("results")
                    if results:  # a page: what it lists, not the page itself
                        name = ref_name(results) or name
                    names.add(name)
    return names


def reachable_models() -> dict[type[Model], set[str]]:
    """{model: operations' component names} for every model an operation answers with."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    wanted = _top_level_components(schema)
    models: dict[type[Model], set[str]] = {}
    for component in generator.registry._components.values():
        serializer = component.object
        serializer_class = serializer if isinstance(serializer, type) else type(serializer)
        if component.name in wanted and issubclass(serializer_class, ModelSerializer):
            model = serializer_class.Meta.model
            if model.__module__.startswith("apps."):
                models.setdefault(model, set()).add(component.name)
    return models


@pytest.mark.django_db
def test_every_model_a_client_reaches_is_registered_with_the_gate() -> None:
    reachable = reachable_models()
    assert len(reachable) >= 5  # the schema was read: buildings, people, events, … at least
    missing = sorted(
        f"{model._meta.label} (answered as {', '.join(sorted(names))})"
        for model, names in reachable.items()
        if model not in registered_models()
    )
    assert not missing, "models the API answers with but no visibility_register(…):\n" + "\n".join(missing)
