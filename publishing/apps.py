from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Published lists of awarded schools"
    default_auto_field = "django.db.models.BigAutoField"
