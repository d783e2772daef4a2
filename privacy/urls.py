from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("<int:person_pk>/data/", views.data, name="data"),
    path("<int:person_pk>/data/request/", views.request_export, name="request_export"),
    path(
        "<int:person_pk>/data/<int:export_pk>/export.json",
        views.download,
        {"kind": "json"},
        name="download_json",
    ),
    path(
        "<int:person_pk>/data/<int:export_pk>/export.pdf",
        views.download,
        {"kind": "pdf"},
        name="download_pdf",
    ),
    path("<int:person_pk>/erase/", views.erase_check, name="erase_check"),
    path("<int:person_pk>/erase/confirm/", views.erase, name="erase"),
]
