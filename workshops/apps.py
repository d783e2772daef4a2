from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "workshops"

    def ready(self):
        from . import rules  # noqa: F401 (registers the workshops' permissions with rules)
