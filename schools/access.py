"""Fetching a school for a page. Who may see a school is the workflow's rule "schools.view_school"
(assessments/workflow.py: its staff, the admin, and whoever may see one of its cycles), read here
by name since the workflow sits in a layer above; another school is "not found", as another
authority's is."""

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

# The school's page includes fragments of the apps above (templates/schools/school_detail.html).
# Each of those apps adds here, from its AppConfig.ready, what its fragment reads of the school: a
# function taking the schools' queryset and returning it with those rows joined or prefetched.
# The page reads them with the school, once, and the fragments read them from it (school.awards,
# school.cycles, school.cluster), instead of each querying again what another has read.
PAGE_READS = []


def read_on_page(read):
    """Adds `read` to PAGE_READS from an app's ready(): once, however often ready() runs."""
    if read not in PAGE_READS:
        PAGE_READS.append(read)


def for_its_page(queryset):
    """The schools, each read with what its page's fragments read of it."""
    for read in PAGE_READS:
        queryset = read(queryset)
    return queryset


def get_school(request, queryset, **lookup):
    school = get_object_or_404(queryset, **lookup)
    if not rules.has_perm("schools.view_school", request.user, school):
        raise Http404("No such school.")
    return school
