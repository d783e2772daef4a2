"""Fetching a school for a page. Who may see a school is the workflow's rule "schools.view_school"
(assessments/workflow.py: its staff, the admin, and whoever may see one of its cycles), read here
by name since the workflow sits in a layer above; another school is "not found", as another
authority's is."""

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404


def get_school(request, queryset, **lookup):
    school = get_object_or_404(queryset, **lookup)
    if not rules.has_perm("schools.view_school", request.user, school):
        raise Http404("No such school.")
    return school
