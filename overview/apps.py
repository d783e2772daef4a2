import statistics

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class _Median:
    """SQLite's IQM_MEDIAN(x), for overview.domain.Median where PostgreSQL has percentile_cont."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def _add_median(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("IQM_MEDIAN", 1, _Median)


class OverviewConfig(AppConfig):
    name = "overview"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from moderation.models import Visit

        from .domain import SOURCES, moderators_changed, source_changed

        connection_created.connect(_add_median, dispatch_uid="overview.median")
        for model in SOURCES:
            for signal in (post_save, post_delete):
                signal.connect(source_changed, sender=model, dispatch_uid=f"iqm_overview_{model}")
        m2m_changed.connect(
            moderators_changed,
            sender=Visit.moderators.through,
            dispatch_uid="iqm_overview_moderators",
        )
