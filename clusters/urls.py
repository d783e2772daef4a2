from django.urls import path

from . import views

app_name = "clusters"
urlpatterns = [
    path("schools/<int:school_pk>/cluster/new/", views.cluster_start, name="start"),
    path("clusters/<int:cluster_pk>/", views.cluster_detail, name="detail"),
    path("clusters/<int:cluster_pk>/partners/add/", views.partner_add, name="partner_add"),
    path(
        "clusters/<int:cluster_pk>/partners/<int:partner_pk>/remove/",
        views.partner_remove,
        name="partner_remove",
    ),
    path("clusters/<int:cluster_pk>/activities/new/", views.activity_edit, name="activity_create"),
    path(
        "clusters/<int:cluster_pk>/activities/<int:activity_pk>/edit/",
        views.activity_edit,
        name="activity_edit",
    ),
]
