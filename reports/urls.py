from django.urls import path

from . import views
from .models import RenderJob

Kind = RenderJob.Kind

# Each kind's request URL is named after the kind, so a failed job links back to its own.
app_name = "reports"
urlpatterns = [
    path(
        "awards/<int:pk>/certificate/",
        views.request_pdf,
        {"kind": Kind.CERTIFICATE},
        name=Kind.CERTIFICATE.value,
    ),
    path(
        "awards/<int:pk>/plaque/",
        views.request_pdf,
        {"kind": Kind.PLAQUE},
        name=Kind.PLAQUE.value,
    ),
    path(
        "assessment-reports/<int:pk>/pdf/",
        views.request_pdf,
        {"kind": Kind.REPORT},
        name=Kind.REPORT.value,
    ),
    path(
        "cycles/<int:pk>/self-review-summary/",
        views.request_pdf,
        {"kind": Kind.SUMMARY},
        name=Kind.SUMMARY.value,
    ),
    path(
        "decisions/<int:pk>/letter/",
        views.request_pdf,
        {"kind": Kind.LETTER},
        name=Kind.LETTER.value,
    ),
    path("reports/<int:job_pk>/", views.job, name="job"),
    path("reports/<int:job_pk>/download/", views.download, name="download"),
]
