from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from apps.attachments.selectors import attachment_readers_register
        from apps.core.visibility import visibility_register
        from apps.registry import selectors
        from apps.registry.changes import register_change_sources
        from apps.registry.models import (
            Building,
            BuildingAddress,
            MergeEvent,
            Observation,
            Person,
            RecordType,
            Residence,
            ReviewItem,
        )  # fmt: skip

        attachment_readers_register(selectors.building_photo_visible)
        visibility_register(
            Building, scope=selectors.buildings_for, resolve=selectors.alias_resolver(RecordType.BUILDING)
        )
        visibility_register(BuildingAddress, scope=selectors.addresses_for)
        visibility_register(
            Person, scope=selectors.people_for, resolve=selectors.alias_resolver(RecordType.PERSON)
        )
        visibility_register(Residence, scope=selectors.residences_for)
        visibility_register(ReviewItem, scope=selectors.reviews_for)
        visibility_register(MergeEvent, scope=selectors.merges_for)
        register_change_sources()
        visibility_register(Observation, scope=selectors.observations_for)
        self._register_organisations()

    def _register_organisations(self) -> None:
        from apps.core.visibility import visibility_register
        from apps.registry.models import RecordType
        from apps.registry.organisations import selectors
        from apps.registry.organisations.changes import register_organisation_change_sources
        from apps.registry.organisations.models import Alert, Employment, Organisation, WatchRule
        from apps.registry.selectors import alias_resolver

        visibility_register(
            Organisation, scope=selectors.organisations_for, resolve=alias_resolver(RecordType.ORGANISATION)
        )
        visibility_register(Employment, scope=selectors.employments_for)
        visibility_register(WatchRule, scope=selectors.watch_rules_for)
        visibility_register(Alert, scope=selectors.alerts_for)
        register_organisation_change_sources()
