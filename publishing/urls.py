from django.urls import path

from . import views

app_name = "publishing"
urlpatterns = [
    path("publishing/", views.preview, name="preview"),
    path("publishing/publish/", views.publish, name="publish"),
    path("publishing/versions/", views.history, name="history"),
    # The public list: the latest version, and each version at its own address for good.
    path("awards/", views.awards, name="awards"),
    path("awards.json", views.awards_json, name="awards_json"),
    path("awards.csv", views.awards_csv, name="awards_csv"),
    path("awards/v<int:version>/", views.awards, name="version"),
    path("awards/v<int:version>.json", views.awards_json, name="version_json"),
    path("awards/v<int:version>.csv", views.awards_csv, name="version_csv"),
]
