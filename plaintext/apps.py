from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.db import models
from django.db.models.signals import pre_save


class PlaintextConfig(AppConfig):
    """Every free-text field of the portal's own models is neutralised before it is saved: one
    place, whichever form, API call, domain function or command wrote it (the output side, for
    rows written before this or in bulk, is in reports.render and publishing.views)."""

    name = "plaintext"
    verbose_name = "Plain text"

    def ready(self):
        pre_save.connect(neutralise_text_fields, dispatch_uid="plaintext.neutralise")


def is_portal_model(model) -> bool:
    """The portal's models, not Django's or a library's (their text is not typed by users)."""
    config = apps.app_configs.get(model._meta.app_label)  # none for Django's migration records
    if config is None:
        return False
    path = Path(config.path).resolve()
    return (
        path.is_relative_to(Path(settings.BASE_DIR).resolve()) and "site-packages" not in path.parts
    )


_text_fields: dict[type, list[str]] = {}


def text_fields(model) -> list[str]:
    if model not in _text_fields:
        _text_fields[model] = (
            [
                field.attname
                for field in model._meta.concrete_fields
                if isinstance(field, (models.CharField, models.TextField))
            ]
            if is_portal_model(model)
            else []
        )
    return _text_fields[model]


def neutralise_text_fields(sender, instance, raw=False, **kwargs):
    if raw:  # loading a fixture: stored as it was dumped
        return
    from . import neutralise

    for name in text_fields(sender):
        value = getattr(instance, name)
        if isinstance(value, str):
            setattr(instance, name, neutralise(value))
