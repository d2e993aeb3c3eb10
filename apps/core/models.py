"""Abstract base models shared by every app."""

from django.db import models

from .ids import uuid7


class BaseModel(models.Model):
    """A UUIDv7 primary key and creation/update timestamps (stored in UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
