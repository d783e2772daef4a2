from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from . import security_log, sessions
        from .models import User

        # The session clock first: the security log's entry does not touch the session.
        user_logged_in.connect(sessions.start_session_clock, dispatch_uid="accounts.session_clock")
        post_save.connect(
            sessions.end_sessions_of_inactive_user, sender=User, dispatch_uid="accounts.inactive"
        )
        from . import two_factor  # noqa: F401  (its user_logged_in receiver: what the session owes)

        user_logged_in.connect(security_log.on_signed_in, dispatch_uid="accounts.log_in")
        user_logged_out.connect(security_log.on_signed_out, dispatch_uid="accounts.log_out")
        user_login_failed.connect(security_log.on_sign_in_failed, dispatch_uid="accounts.log_fail")
        user_locked_out.connect(security_log.on_locked_out, dispatch_uid="accounts.log_lock")
