from django.urls import path

from . import views

app_name = "authorities"
urlpatterns = [
    path("settings/", views.settings, name="settings"),
]
