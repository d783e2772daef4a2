from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import security_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", security_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(success_url=reverse_lazy("accounts:password_reset_done")),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    # Issue 14: the second factor at sign-in, and the "Sign-in and security" pages.
    path("two-factor/", security_views.verify, name="verify"),
    path("two-factor/set-up/", security_views.set_up, name="set_up"),
    path("two-factor/offer/", security_views.offer, name="offer"),
    path("two-factor/recovery-codes/", security_views.recovery_codes, name="recovery_codes"),
    path("security/", security_views.security, name="security"),
    path("security/confirm/", security_views.confirm, name="confirm"),
    path(
        "security/recovery-codes/new/",
        security_views.regenerate_codes,
        name="regenerate_recovery_codes",
    ),
    path("security/apps/<int:device_pk>/remove/", security_views.remove_app, name="remove_app"),
    # Issue 14: passkeys (their ceremonies' endpoints: accounts/passkey_urls.py).
    path("security/passkeys/add/", security_views.add_passkey, name="add_passkey"),
    path(
        "security/passkeys/<int:device_pk>/remove/",
        security_views.remove_passkey,
        name="remove_passkey",
    ),
    path("security/password/", security_views.change_password, name="change_password"),
    path("security/email/", security_views.change_email, name="change_email"),
]
