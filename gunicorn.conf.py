"""gunicorn reads this file from the working directory: gridapi's settings are in gridapi/gunicorn_conf.py."""

from gridapi.gunicorn_conf import *  # noqa: F403
