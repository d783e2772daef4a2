from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("awards/<int:award_pk>/certificate/", views.request_certificate, name="request"),
    path("reports/<int:job_pk>/", views.job, name="job"),
    path("reports/<int:job_pk>/download/", views.download, name="download"),
]
