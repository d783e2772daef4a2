from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "authorities"
    verbose_name = "Authorities"

    def ready(self):
        from celery.signals import task_postrun, task_prerun
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, post_save

        from . import public_pages, rls
        from .models import Authority

        connection_created.connect(rls.on_connection_created, dispatch_uid="iqm_rls_connection")
        post_migrate.connect(rls.on_post_migrate, sender=self, dispatch_uid="iqm_rls_migrate")
        task_prerun.connect(rls.on_task_prerun, dispatch_uid="iqm_rls_task_prerun")
        task_postrun.connect(rls.on_task_postrun, dispatch_uid="iqm_rls_task_postrun")
        # Its name heads its public pages and names it in the directory.
        post_save.connect(
            public_pages.authority_saved, sender=Authority, dispatch_uid="iqm_public_pages"
        )
