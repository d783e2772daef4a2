from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("update/", views.update, name="update"),
    path("update/elements/<int:element_pk>/", views.update_element, name="update_element"),
    path("update/submit/", views.submit, name="submit"),
    path("ratification/", views.ratification, name="ratification"),
    path("ratification/priorities/", views.priority_add, name="priority_add"),
    path(
        "ratification/priorities/<int:priority_pk>/remove/",
        views.priority_remove,
        name="priority_remove",
    ),
    path("ratification/sign/", views.sign, name="sign"),
]
