"""No admin for people, groups or login records: a platform admin sees no authority's people and
sets no one's password. People are managed by each authority's admins in the portal itself."""

from django.contrib import admin
from django.contrib.auth.models import Group

admin.site.unregister(Group)
