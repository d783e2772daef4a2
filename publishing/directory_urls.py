from django.urls import path

from . import directory_views

app_name = "directory"
urlpatterns = [
    path("", directory_views.search, name="search"),
    # By authority and URN, not by row: the address stays the same when the authority publishes
    # again.
    path("<slug:authority>/<str:urn>/", directory_views.school, name="school"),
]
