from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from authorities.access import authority_view
from schools.access import get_school
from schools.models import School

from . import domain
from .access import get_cluster, may_manage_cluster, may_start_cluster
from .forms import ActivityForm, ClusterForm, PartnerForm
from .models import Activity, Cluster, Partner

PAGE_SIZE = 10


def _managed(request, cluster_pk) -> Cluster:
    cluster = get_cluster(request, cluster_pk)
    if not may_manage_cluster.test(request.user, cluster):
        raise PermissionDenied("Only the lead school's head teacher or coordinator, or an admin.")
    return cluster


def _to_cluster(authority_slug, cluster):
    return redirect("clusters:detail", authority_slug=authority_slug, cluster_pk=cluster.pk)


@authority_view()
def cluster_start(request, authority_slug, school_pk):
    school = get_school(request, School.objects.all(), pk=school_pk)
    if not may_start_cluster.test(request.user, school):
        raise PermissionDenied("Only the school's head teacher or coordinator, or an admin.")
    existing = Cluster.objects.filter(lead_school=school).first()
    if existing:
        return _to_cluster(authority_slug, existing)
    form = ClusterForm(
        request.POST if request.method == "POST" else None,
        initial={"name": f"{school.name} cluster"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            cluster = domain.start_cluster(
                school=school, name=form.cleaned_data["name"], by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{cluster.name} started: now add its partner schools.")
            return _to_cluster(authority_slug, cluster)
    return render(request, "clusters/cluster_start.html", {"form": form, "school": school})


@authority_view()
def cluster_detail(request, authority_slug, cluster_pk):
    cluster = get_cluster(request, cluster_pk)
    activities = cluster.activities.prefetch_related(domain.attendance())
    return render(
        request,
        "clusters/cluster_detail.html",
        {
            "cluster": cluster,
            "partners": cluster.partners.filter(removed_at=None).select_related("school"),
            "page": Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page")),
            "can_manage": may_manage_cluster.test(request.user, cluster),
        },
    )


@authority_view()
def partner_add(request, authority_slug, cluster_pk):
    cluster = _managed(request, cluster_pk)
    form = PartnerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = domain.add_partner(
                cluster=cluster,
                by=request.user,
                urn=form.cleaned_data["urn"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{partner.display_name} is now a partner school.")
            return _to_cluster(authority_slug, cluster)
    return render(request, "clusters/partner_form.html", {"form": form, "cluster": cluster})


@require_POST
@authority_view()
def partner_remove(request, authority_slug, cluster_pk, partner_pk):
    cluster = _managed(request, cluster_pk)
    partner = get_object_or_404(
        Partner.objects.select_related("school"), cluster=cluster, pk=partner_pk, removed_at=None
    )
    domain.remove_partner(partner=partner, by=request.user)
    messages.success(request, f"{partner.display_name} is no longer a partner school.")
    return _to_cluster(authority_slug, cluster)


@authority_view()
def activity_edit(request, authority_slug, cluster_pk, activity_pk=None):
    cluster = _managed(request, cluster_pk)
    activity = (
        get_object_or_404(Activity, cluster=cluster, pk=activity_pk) if activity_pk else Activity()
    )
    form = ActivityForm(
        request.POST if request.method == "POST" else None, instance=activity, cluster=cluster
    )
    if request.method == "POST" and form.is_valid():
        domain.save_activity(
            cluster=cluster,
            by=request.user,
            activity=form.instance,
            attended_by=list(form.cleaned_data["attended_by"]),
        )
        messages.success(request, f"“{form.instance.title}” saved.")
        return _to_cluster(authority_slug, cluster)
    return render(
        request,
        "clusters/activity_form.html",
        {"form": form, "cluster": cluster, "activity": activity},
    )
