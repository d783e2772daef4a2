from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/outbox/", views.outbox, name="outbox"),
    path("notifications/outbox/<int:message_pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("notifications/templates/", views.template_list, name="templates"),
    path("notifications/templates/<str:key>/", views.template_edit, name="template_edit"),
    path("notifications/templates/<str:key>/reset/", views.template_reset, name="template_reset"),
]
