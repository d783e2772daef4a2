from django.urls import path

from . import views

# At the site's root (iqm_portal/urls.py), outside any authority: a service worker may control
# only the pages under the folder its script is served from.
app_name = "visit_worker"
urlpatterns = [path("", views.visit_worker, name="script")]
