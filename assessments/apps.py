from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from schools.access import PAGE_READS

        from . import workflow  # noqa: F401 (registers the workflow's permissions with rules)
        from .history import with_cycles

        PAGE_READS.append(with_cycles)  # the school's cycles, on the school's page
