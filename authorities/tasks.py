"""Queueing helpers: tasks take ids, run after the transaction commits, and re-enter the
authority's scope (as pretix's EventTask does). Here, in the lowest layer, so every app that
queues authority-scoped tasks may use them."""

from functools import wraps

from celery import shared_task
from django.db import transaction
from django_scopes import scope


def enqueue(task, *args, **kwargs):
    """Queue a task once the current transaction has committed, so the worker sees the data."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


def authority_task(**task_options):
    """A Celery task whose first argument is an authority id, run inside that authority's scope."""

    def decorator(func):
        @shared_task(name=f"{func.__module__}.{func.__name__}", **task_options)
        @wraps(func)
        def run(authority_id, *args, **kwargs):
            from .models import Authority

            authority = Authority.objects.get(pk=authority_id)
            with scope(authority=authority):
                return func(authority, *args, **kwargs)

        return run

    return decorator
