"""Who may see and run a cluster: the lead school's leads (head teacher, coordinator) and the
authority admin manage it; the lead school's staff and its mentor see it too. Anyone else,
like another authority, finds no such cluster."""

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.roles import SCHOOL_LEADS, is_authority_admin, leads_school, school_roles

from .models import Cluster


def _roles_at_lead_school(user, cluster):
    return school_roles(user, cluster.lead_school_id, cluster.authority_id)


@rules.predicate
def is_cluster_lead(user, cluster):
    return bool(_roles_at_lead_school(user, cluster) & SCHOOL_LEADS)


@rules.predicate
def is_lead_school_staff(user, cluster):
    return bool(_roles_at_lead_school(user, cluster))


@rules.predicate
def is_lead_school_mentor(user, cluster):
    """The mentor of the lead school's latest cycle (assessments sits above: read through the
    school's reverse relation, not imported)."""
    if "_mentor_id" not in cluster.__dict__:
        latest = cluster.lead_school.cycles.order_by("-created_at", "-pk")
        cluster.__dict__["_mentor_id"] = latest.values_list("mentor", flat=True).first()
    return user.pk == cluster.__dict__["_mentor_id"]


may_start_cluster = is_authority_admin | leads_school  # on a school
may_manage_cluster = is_authority_admin | is_cluster_lead
may_view_cluster = may_manage_cluster | is_lead_school_staff | is_lead_school_mentor

rules.add_perm("clusters.view_cluster", may_view_cluster)
rules.add_perm("clusters.manage_cluster", may_manage_cluster)


def get_cluster(request, pk) -> Cluster:
    cluster = get_object_or_404(Cluster.objects.select_related("lead_school"), pk=pk)
    if not may_view_cluster.test(request.user, cluster):
        raise Http404("No such cluster.")
    return cluster
