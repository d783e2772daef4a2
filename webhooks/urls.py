from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<int:endpoint_pk>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:endpoint_pk>/delete/", views.endpoint_delete, name="delete"),
    path("<int:endpoint_pk>/secret/", views.endpoint_secret, name="secret"),
    path("<int:endpoint_pk>/test/", views.endpoint_test, name="test"),
    path(
        "<int:endpoint_pk>/deliveries/<int:delivery_pk>/send-again/",
        views.delivery_resend,
        name="resend",
    ),
]
