from django.dispatch import Signal

# Sent inside the transaction of each step taken on a cycle, with `cycle`, `step` (a workflow
# Step), `by` and `entry` (its audit entry); notifications tells the step's people.
cycle_stepped = Signal()
