from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("cycles/", views.cycle_list, name="cycles"),
    path("cycles/new/", views.cycle_start, name="cycle_start"),
    path("cycles/<int:cycle_pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_pk>/elements/<int:element_pk>/", views.element_detail, name="element"),
    path("cycles/<int:cycle_pk>/submit/", views.cycle_submit, name="submit"),
    path("cycles/<int:cycle_pk>/submit/check/", views.cycle_submit_check, name="submit_check"),
    path("cycles/<int:cycle_pk>/assignments/", views.assignments, name="assignments"),
    path(
        "cycles/<int:cycle_pk>/assignments/<int:assignment_pk>/remove/",
        views.unassign,
        name="unassign",
    ),
    path("cycles/<int:cycle_pk>/review/", views.review, name="review"),
    path(
        "cycles/<int:cycle_pk>/review/agree-with-remaining/",
        views.agree_with_remaining,
        name="agree_with_remaining",
    ),
    path("cycles/<int:cycle_pk>/return/", views.cycle_return, name="return"),
    path("cycles/<int:cycle_pk>/validate/", views.cycle_validate, name="validate"),
    path("cycles/<int:cycle_pk>/compare/", views.compare, name="compare"),
    path("cycles/<int:cycle_pk>/plan/", views.plan, name="plan"),
    path("cycles/<int:cycle_pk>/plan/new/", views.target_edit, name="target_create"),
    path("cycles/<int:cycle_pk>/plan/<int:target_pk>/", views.target_edit, name="target_edit"),
    path("frameworks/", views.frameworks, name="frameworks"),
    path(
        "frameworks/<int:framework_pk>/current/",
        views.framework_make_current,
        name="framework_current",
    ),
]
