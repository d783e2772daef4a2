from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from . import workflow  # noqa: F401 (registers the workflow's permissions with rules)
