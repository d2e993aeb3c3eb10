"""The canonical registry (一标三实): buildings, people, residences, and how each record came to be.

A record merged into another is kept as a tombstone (``merged_into`` set) so that a merge can be undone
exactly; every id ever given to a record resolves to its canonical id through ``RecordAlias``.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.ids import uuid7
from apps.core.models import BaseModel
from apps.core.text import NAME_KEY_LENGTH


class RecordType(models.TextChoices):
    BUILDING = "building", _("building")
    PERSON = "person", _("person")
    RESIDENCE = "residence", _("residence")
    ORGANISATION = "organisation", _("organisation")
    EMPLOYMENT = "employment", _("employment")


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("residential")
    RENTAL = "rental", _("rental housing (出租屋)")
    SHOP = "shop", _("shop")
    FACTORY = "factory", _("factory")
    SCHOOL = "school", _("school")
    OFFICE = "office", _("office")
    OTHER = "other", _("other")


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class HouseholdType(models.TextChoices):
    REGISTERED = "registered", _("registered (户籍)")
    FLOATING = "floating", _("floating (流动)")
    OVERSEAS = "overseas", _("overseas (境外)")


class PersonTag(models.TextChoices):
    """Special groups (特殊人群); membership is special-category personal information."""

    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    DISABLED = "disabled", _("disabled")
    LOW_INCOME = "low_income", _("low-income allowance")
    COMMUNITY_CORRECTION = "community_correction", _("community correction")
    DRUG_REHABILITATION = "drug_rehabilitation", _("drug rehabilitation")
    MENTAL_DISORDER = "mental_disorder", _("severe mental disorder")
    LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")
    VETERAN = "veteran", _("veteran")


class Relation(models.TextChoices):
    OWNER = "owner", _("owner")
    TENANT = "tenant", _("tenant")
    FAMILY = "family", _("family member")
    EMPLOYEE = "employee", _("employee")


class CanonicalRecord(BaseModel):
    """Fields shared by buildings and people: optimistic version, grid, alternatives, merge tombstone."""

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    grid = models.ForeignKey(
        "territory.TerritoryNode", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    cell = models.CharField(max_length=16, blank=True, db_index=True)
    # Values other observations brought that differ from the record's: {"field": [{"value", "observation"}]}.
    alternatives = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=True
    )

    class Meta:
        abstract = True

    @property
    def is_canonical(self) -> bool:
        return self.merged_into_id is None  # type: ignore[attr-defined]


class Person(CanonicalRecord):
    """A real person (实有人口). Personal numbers are stored sealed, with keyed blind indexes for lookup."""

    name = models.CharField(_("name"), max_length=100)
    name_key = models.CharField(
        max_length=NAME_KEY_LENGTH, db_index=True, help_text="Toneless pinyin of the name."
    )
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_sealed = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=64, blank=True)
    phone_sealed = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    passport_sealed = models.TextField(blank=True)
    passport_index = models.CharField(max_length=64, blank=True)
    pii_key_id = models.CharField(max_length=32, blank=True, help_text="Key that sealed the numbers.")
    household_type = models.CharField(
        _("household type"), max_length=16, choices=HouseholdType.choices, blank=True
    )
    tags = ArrayField(models.CharField(max_length=32, choices=PersonTag.choices), default=list, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(
                fields=["id_number_index"], name="person_id_index", condition=~Q(id_number_index="")
            ),
            models.Index(fields=["phone_index"], name="person_phone_index", condition=~Q(phone_index="")),
            models.Index(
                fields=["passport_index"], name="person_passport_index", condition=~Q(passport_index="")
            ),
            models.Index(fields=["name_key", "birth_date"], name="person_name_birth"),
            GinIndex(fields=["tags"], name="person_tags"),
        ]
        constraints = [
            # One canonical record per valid ID number.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~Q(id_number_index="") & Q(merged_into__isnull=True),
                name="person_one_canonical_per_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Building(CanonicalRecord):
    """A building with its standard address (标准地址) and location (实有房屋)."""

    address = models.CharField(_("address"), max_length=300)
    address_code = models.CharField(_("standard address code"), max_length=64, blank=True)
    address_norm = models.CharField(max_length=300, db_index=True)
    house_number = models.CharField(max_length=32, blank=True)
    block_number = models.CharField(max_length=16, blank=True)
    footprint = models.PolygonField(_("footprint"), srid=4326, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=BuildingUse.choices, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    landlord = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="buildings"
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(
                fields=["address_code"],
                condition=~Q(address_code="") & Q(merged_into__isnull=True),
                name="building_one_canonical_per_address_code",
            )
        ]

    def __str__(self) -> str:
        return self.address


class BuildingAddress(Building):
    """A building seen only as an address to place a report at: its standard address code, address and point.

    Channels (Open311, the hotline) resolve the address of a report through it. Any signed-in caller may place
    a report at an address anywhere, so its scope is wider than the building's; it never answers more than the
    point (the event is placed there), never the building's record.
    """

    class Meta:
        proxy = True
        verbose_name = _("building address")
        verbose_name_plural = _("building addresses")


class Residence(BaseModel):
    """A person living or working in a building (and room) from ``since`` until ``until`` (人来登记, 人走注销)."""

    id = models.UUIDField(primary_key=True, default=uuid7)
    version = models.PositiveIntegerField(default=1)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="residences")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="residences")
    room = models.CharField(_("room"), max_length=32, blank=True)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        indexes = [
            models.Index(fields=["person", "until"], name="residence_person"),
            models.Index(fields=["building", "until"], name="residence_building"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=models.F("since")),
                name="residence_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.building_id} {self.room}"


class Outcome(models.TextChoices):
    CREATED = "created", _("created")
    MERGED = "merged", _("merged")
    UPDATED = "updated", _("updated")


class Observation(BaseModel):
    """One act of collection by one worker: who, when, where, with what device, and the raw payload.

    Provenance is never deleted; a merge moves observations to the surviving record and an unmerge moves
    them back. The payload is sealed because it carries personal numbers.
    """

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    record_id = models.UUIDField(db_index=True)
    submitted_id = models.UUIDField(null=True, blank=True, help_text="The id the device gave the record.")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device_id = models.CharField(max_length=128, blank=True)
    collected_at = models.DateTimeField()
    location = models.PointField(srid=4326, null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    payload_sealed = models.TextField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        indexes = [
            models.Index(fields=["record_type", "record_id", "collected_at"], name="observation_record")
        ]


class RecordAlias(models.Model):
    """Any id ever given to a record → the record it denotes now (itself or the record it merged into)."""

    alias = models.UUIDField(primary_key=True)
    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    canonical_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("record alias")
        verbose_name_plural = _("record aliases")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    KEPT_APART = "kept_apart", _("kept apart")
    OBSOLETE = "obsolete", _("obsolete")


class ReviewItem(BaseModel):
    """A possible duplicate for a dispatcher to decide: ``record`` may be the same thing as ``candidate``."""

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    record_id = models.UUIDField()
    candidate_id = models.UUIDField()
    grid = models.ForeignKey("territory.TerritoryNode", on_delete=models.PROTECT, null=True, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        indexes = [models.Index(fields=["status", "record_type", "created_at"], name="review_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "candidate_id"],
                condition=Q(status="open"),
                name="review_one_open_per_pair",
            )
        ]


class MergeEvent(BaseModel):
    """One merge of ``merged_id`` into ``survivor_id``, with what is needed to undo it exactly.

    ``snapshot_sealed`` holds both records' fields before the merge and the observations, residences and
    aliases the merge moved.
    """

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    survivor_id = models.UUIDField(db_index=True)
    merged_id = models.UUIDField(db_index=True)
    automatic = models.BooleanField(default=False)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    snapshot_sealed = models.TextField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")


MERGEABLE_CHOICES = [
    (RecordType.BUILDING.value, RecordType.BUILDING.label),
    (RecordType.PERSON.value, RecordType.PERSON.label),
    (RecordType.ORGANISATION.value, RecordType.ORGANISATION.label),
]
# The personal numbers a person may carry → the prefix of their columns (``<prefix>_sealed``, ``<prefix>_index``).
NUMBER_COLUMNS: dict[str, str] = {"id_number": "id_number", "phone": "phone", "passport_number": "passport"}

from .organisations.models import *  # noqa: E402, F403 - organisations, employments, watch rules, alerts
