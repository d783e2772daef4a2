"""Moved: the queueing helpers live in authorities/tasks.py and send_email in accounts/tasks.py.

Only notifications/domain.py still imports enqueue from here; delete this module once it imports
from authorities.tasks."""

from accounts.tasks import send_email
from authorities.tasks import authority_task, enqueue

__all__ = ["authority_task", "enqueue", "send_email"]
