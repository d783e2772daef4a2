from django.dispatch import Signal

# Sent inside publish()'s transaction, with `publication` and `by`; webhooks tells the
# authority's systems.
list_published = Signal()
