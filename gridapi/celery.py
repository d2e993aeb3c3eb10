"""The Celery application: configuration from Django settings (``CELERY_*``), tasks from every app."""

import faulthandler
import logging
import os
import time
from typing import Any

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridapi.settings.local")

# A crash in C code (geometry, H3, the driver) logs the Python stack of every thread before the process dies.
faulthandler.enable()

logger = logging.getLogger("gridapi.celery")

BROKER_PAUSE_SECONDS = 5.0
_broker_down_until = 0.0  # per process: when to try publishing again after the broker failed


class ResilientTask(Task):
    """A task whose enqueueing never fails the caller.

    What must not be lost is written in the same transaction as the change (the journal, an outbox row, a
    notice) and beat's periodic jobs re-send it, so a stopped or hung broker delays work, never loses it. A
    failed publish is logged and answered with None; for a few seconds after, this process does not try
    again (a hung broker costs one timeout, not one per request).
    """

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            logger.warning("broker paused: %s not enqueued (beat re-sends)", self.name)
            return None
        try:
            return super().apply_async(*args, **kwargs)
        except Exception as exc:  # kombu/redis/amqp raise many kinds for one outage
            if self.app.conf.task_always_eager:
                raise
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning("broker unavailable: %s not enqueued (beat re-sends): %r", self.name, exc)
            return None


app = Celery("gridapi", task_cls=ResilientTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
