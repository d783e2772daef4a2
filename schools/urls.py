from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    path("", views.school_list, name="list"),
    path("new/", views.school_edit, name="create"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("<int:school_pk>/", views.school_detail, name="detail"),
    path("<int:school_pk>/edit/", views.school_edit, name="edit"),
    path("areas/", views.area_list, name="areas"),
    path("areas/new/", views.area_edit, name="area_create"),
    path("areas/<int:area_pk>/edit/", views.area_edit, name="area_edit"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:import_pk>/", views.import_preview, name="import_preview"),
    path("import/<int:import_pk>/apply/", views.import_apply, name="import_apply"),
]
