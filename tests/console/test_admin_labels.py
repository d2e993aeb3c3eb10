"""The admin for administrators: an event's title is 标题 (not 职务, a job title), timeline entries and the
routing decision read as words."""

from typing import Any

from django.test import Client
from django.utils.html import escape

from apps.events.admin import routing_in_words
from apps.events.models import TimelineEntry


def test_the_event_title_is_labelled_as_a_title_and_the_timeline_is_readable(
    world: dict[str, Any], admin_user: Any
) -> None:
    client = Client()
    client.force_login(admin_user)
    event = world["routed"]
    page = client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert "标题" in page and "职务" not in page
    entry = TimelineEntry.objects.filter(event=event, action="dispatch").first()
    assert entry is not None
    text = str(entry)
    assert text.endswith("dispatch accepted → dispatched") and text[:4].isdigit()
    assert "TimelineEntry object" not in text
    words = escape(routing_in_words(event.routing))
    assert words.startswith("按 ") and words in page, words  # a sentence, in Chinese
    assert "&quot;triage&quot;" not in page and "&quot;reason&quot;" not in page  # not the JSON it is kept in
    listing = client.get("/admin/events/event/").content.decode()
    assert "标题" in listing
