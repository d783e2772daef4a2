from django.urls import path

from . import views

app_name = "visit_worker"
urlpatterns = [path("visit-worker.js", views.visit_worker, name="script")]
