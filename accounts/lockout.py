"""django-axes hooks: the login lock-out counts one email however it is spelt."""

from django.conf import settings


def lockout_username(request, credentials=None):
    """The email that axes counts failures for (AXES_USERNAME_CALLABLE): stripped, lower-cased,
    as the login matches it, so varying the case of an address does not reset its count."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    return username.strip().lower() if username else username
