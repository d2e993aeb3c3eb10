from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Deterministic demo data (a district modelled on Xiamen's Haicang). Depends on every other app."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
