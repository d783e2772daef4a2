from django.urls import path

from . import views

app_name = "moderation"
urlpatterns = [
    path("moderation/", views.queue, name="queue"),
    path("moderation/conflicts/", views.conflicts, name="conflicts"),
    path("cycles/<int:cycle_pk>/desk-check/", views.desk_check, name="desk_check"),
    path("cycles/<int:cycle_pk>/visit/", views.visit, name="visit"),
    path("cycles/<int:cycle_pk>/visit/send-note/", views.send_note, name="send_note"),
    path("cycles/<int:cycle_pk>/visit/notes/<int:note_pk>/", views.note_edit, name="note_edit"),
    path(
        "cycles/<int:cycle_pk>/visit/notes/<int:note_pk>/delete/",
        views.note_delete,
        name="note_delete",
    ),
    path("cycles/<int:cycle_pk>/report/", views.report, name="report"),
    path("cycles/<int:cycle_pk>/report/sign/", views.sign, name="sign"),
    path("cycles/<int:cycle_pk>/report/sign/check/", views.sign_check, name="sign_check"),
    path("cycles/<int:cycle_pk>/panel/", views.panel, name="panel"),
    path("cycles/<int:cycle_pk>/panel/decide/check/", views.decide_check, name="decide_check"),
    path("cycles/<int:cycle_pk>/panel/<str:action>/", views.panel_action, name="panel_action"),
]
