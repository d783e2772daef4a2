from django.urls import path

from . import views

app_name = "flagship"
urlpatterns = [
    path("schools/<int:school_pk>/research/", views.research, name="research"),
    path("schools/<int:school_pk>/research/project/", views.research_form, name="project"),
    path("schools/<int:school_pk>/research/end/", views.research_end, name="end"),
    path("schools/<int:school_pk>/research/steps/new/", views.step_form, name="step_create"),
    path(
        "schools/<int:school_pk>/research/steps/<int:step_pk>/", views.step_form, name="step_edit"
    ),
    path(
        "schools/<int:school_pk>/research/steps/<int:step_pk>/remove/",
        views.step_remove,
        name="step_remove",
    ),
    path("schools/<int:school_pk>/research/outputs/new/", views.output_form, name="output_create"),
    path(
        "schools/<int:school_pk>/research/outputs/<int:output_pk>/",
        views.output_form,
        name="output_edit",
    ),
    path(
        "schools/<int:school_pk>/research/outputs/<int:output_pk>/remove/",
        views.output_remove,
        name="output_remove",
    ),
    path("cycles/<int:cycle_pk>/flagship-criteria/", views.criteria, name="criteria"),
    path(
        "cycles/<int:cycle_pk>/flagship-criteria/evidence/",
        views.criteria_evidence,
        name="criteria_evidence",
    ),
    path(
        "cycles/<int:cycle_pk>/flagship-criteria/confirm/",
        views.criteria_confirm,
        name="criteria_confirm",
    ),
]
