"""No admin for people, groups or login records: a platform admin sees no authority's people and
sets no one's password. People are managed by each authority's admins in the portal itself."""

from django.contrib import admin
from django.contrib.auth.models import Group

admin.site.unregister(Group)

# Nor for second factors: django-otp's admin shows a device's secret (its QR code page). A person
# who lost their app and recovery codes is reset by an operator with
# `manage.py reset_second_factor EMAIL` (accounts/management/commands/).
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
