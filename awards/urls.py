from django.urls import path

from . import views

app_name = "awards"
urlpatterns = [
    path(
        "schools/<int:school_pk>/awards/<int:pk>/logo.svg",
        views.award_logo,
        {"extension": "svg"},
        name="logo_svg",
    ),
    path(
        "schools/<int:school_pk>/awards/<int:pk>/logo.png",
        views.award_logo,
        {"extension": "png"},
        name="logo_png",
    ),
    path("plaques/", views.plaque_list, name="plaques"),
    path("plaques/<int:pk>/", views.plaque, name="plaque"),
    path("plaques/<int:pk>/record/", views.plaque_record, name="plaque_record"),
]
