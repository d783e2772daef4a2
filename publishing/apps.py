from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Published lists of awarded schools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .domain import LIST_SOURCES, list_sources_changed, publication_saved

        for model in LIST_SOURCES:
            for signal in (post_save, post_delete):
                signal.connect(list_sources_changed, sender=model, dispatch_uid=f"iqm_list_{model}")
        post_save.connect(
            publication_saved, sender="publishing.Publication", dispatch_uid="iqm_publication"
        )
