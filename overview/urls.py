from django.urls import path

from . import views

app_name = "overview"
urlpatterns = [
    path("overview/", views.page, name="page"),
    path("overview/<slug:figure>.csv", views.figure_csv, name="csv"),
]
