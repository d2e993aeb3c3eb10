"""``make run`` collects static files with the production storage (hashed names, compressed): every file a
stylesheet or script refers to must exist, or collecting fails and the service does not start."""

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_static_files_collect_with_the_production_storage(tmp_path: Path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=str(tmp_path), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "console/vendor/leaflet/leaflet.js" in manifest
