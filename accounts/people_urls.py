from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.people, name="list"),
    path("invite/", views.invite, name="invite"),
    path("<int:person_pk>/", views.person, name="person"),
    path("<int:membership_pk>/remove/", views.remove_membership, name="remove"),
    path(
        "invitations/<int:invitation_pk>/revoke/", views.revoke_invitation, name="revoke_invitation"
    ),
]
