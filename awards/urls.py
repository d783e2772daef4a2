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
]
