from django.apps import AppConfig


class FlagshipConfig(AppConfig):
    name = "flagship"
