"""gridapi: the REST backend for grid-based community governance (网格化管理)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
