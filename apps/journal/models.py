"""The append-only change journal: one entry per change of a shareable record or of someone's scope.

Written by the services in the same transaction as the change. ``txid`` is the writing transaction's
id (``pg_current_xact_id()``), set by the database; readers order by (txid, id) and only read entries
whose transaction lies below the oldest transaction still running (``pg_snapshot_xmin``), so an entry
can never appear behind a reader's cursor after the reader has passed it.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class CurrentTransactionId(models.Func):
    """``pg_current_xact_id()`` as a bigint (xid8 values stay far below 2**63)."""

    template = "pg_current_xact_id()::text::bigint"
    output_field = models.BigIntegerField()

    def __init__(self) -> None:
        super().__init__()


class Change(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    MERGED = "merged", _("merged into another record")
    UNMERGED = "unmerged", _("unmerged")
    DELETED = "deleted", _("deleted")
    MOVED = "moved", _("moved to another grid")
    SCOPE = "scope", _("scope changed")


class JournalEntry(models.Model):
    """One change: what (record type and id, version, fields), where (grid now and before), who, when."""

    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)
    record_type = models.CharField(max_length=16)
    record_id = models.UUIDField()
    version = models.PositiveIntegerField(default=0)
    change = models.CharField(max_length=16, choices=Change.choices)
    grid_id = models.UUIDField(null=True, blank=True, help_text="The record's grid after the change.")
    previous_grid_id = models.UUIDField(null=True, blank=True, help_text="Its grid before, when it moved.")
    fields = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    merged_into = models.UUIDField(null=True, blank=True)
    actor_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        indexes = [
            models.Index(fields=["txid", "id"], name="journal_position"),
            models.Index(fields=["grid_id", "txid", "id"], name="journal_grid_position"),
            models.Index(fields=["record_type", "record_id"], name="journal_record"),
        ]

    def __str__(self) -> str:
        return f"{self.txid}/{self.id} {self.record_type} {self.record_id} {self.change}"


class AccessChannel(models.TextChoices):
    REST = "rest", _("REST API")
    PULL = "pull", _("mobile pull")
    FEED = "feed", _("feed")
    WEBHOOK = "webhook", _("webhook")


class AccessLogEntry(models.Model):
    """A read of the same sensitive or special fields of one or more records: who, which records and fields,
    when, why (subscription, purpose).

    One row per read and set of fields revealed: a pull or feed page of a thousand people is a handful of
    rows, not a thousand (writing a row per record cost 40 % of such a page). ``record_ids`` is indexed for
    "who read this record". Plain ids, not foreign keys: the log is written by every app that reveals
    personal data (this app sits below them) and must outlive what it mentions.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    user_id = models.UUIDField(null=True, blank=True)
    department_id = models.UUIDField(null=True, blank=True)
    subscription_id = models.UUIDField(null=True, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=8, choices=AccessChannel.choices)
    record_type = models.CharField(max_length=16)
    record_ids = ArrayField(models.UUIDField())
    fields = ArrayField(models.CharField(max_length=64))

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            GinIndex(fields=["record_ids"], name="access_records"),
            models.Index(fields=["department_id", "at"], name="access_department"),
            models.Index(fields=["user_id", "at"], name="access_user"),
        ]

    def __str__(self) -> str:
        return f"{self.at} {self.channel} {self.record_type} ×{len(self.record_ids)} {','.join(self.fields)}"
