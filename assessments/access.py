"""Fetching a cycle for a page: only one the visitor may see (the workflow's `may_view_cycle`);
another authority's cycle and another school's are both "not found"."""

from django.shortcuts import get_object_or_404

from .models import Cycle
from .workflow import visible_cycles


def get_cycle(request, cycle_pk, *, related=(), prefetch=(), annotate=None) -> Cycle:
    """`related`, `prefetch` and `annotate` (name: expression): what else the page reads of the
    cycle, read with it."""
    cycles = visible_cycles(request.user, request.authority)
    return get_object_or_404(
        cycles.select_related("school", "framework", "mentor", *related)
        .prefetch_related(*prefetch)
        .annotate(**(annotate or {})),
        pk=cycle_pk,
    )
