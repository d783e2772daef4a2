from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from . import two_factor  # noqa: F401  (its user_logged_in receiver)
