from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("feedback/", views.admin, name="admin"),
    path("feedback/ratings.csv", views.ratings_csv, name="ratings_csv"),
    path("feedback/testers.csv", views.signups_csv, name="signups_csv"),
    # Public: the forms at the foot of the authority's public pages post here.
    path("feedback/rating/", views.rate, name="rate"),
    path("feedback/testers/", views.sign_up, name="sign_up"),
]
