from django.urls import path

from . import views

app_name = "portfolios"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("upload/", views.upload, name="upload"),
    path("links/new/", views.add_link, name="add_link"),
    path("items/<int:item_pk>/", views.item_detail, name="item"),
    path("items/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
    path("items/<int:item_pk>/comments/", views.comment, name="comment"),
    path("items/<int:item_pk>/file/", views.download, name="download"),
    path("submit/", views.submit, name="submit"),
    path("submit/check/", views.submit_check, name="submit_check"),
]
