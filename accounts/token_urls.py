from django.urls import path

from . import token_views

app_name = "api_tokens"
urlpatterns = [
    path("", token_views.token_list, name="list"),
    path("new/", token_views.token_create, name="create"),
    path("<int:token_pk>/revoke/check/", token_views.token_revoke_check, name="revoke_check"),
    path("<int:token_pk>/revoke/", token_views.token_revoke, name="revoke"),
]
