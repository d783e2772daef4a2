from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from schools.access import read_on_page

        from . import workflow  # noqa: F401 (registers the workflow's permissions with rules)
        from .history import with_cycles
        from .ratings import sources_changed

        read_on_page(with_cycles)  # the school's cycles, on the school's page
        for model in ("assessments.Cycle", "assessments.MentorReview"):
            for signal in (post_save, post_delete):
                signal.connect(sources_changed, sender=model, dispatch_uid=f"iqm_ratings_{model}")
