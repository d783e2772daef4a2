from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("people/", views.person_suggestions, name="person_suggestions"),
]
