from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import STAFF_ROLES
from accounts.roles import is_authority_admin
from authorities import school_picker
from authorities.access import ADMIN, authority_view

from . import domain, gias
from .access import for_its_page, get_school
from .forms import AreaForm, ImportForm, SchoolForm
from .models import Area, School, SchoolImport
from .search import search_text

PAGE_SIZE = 25


@authority_view(*ADMIN)
def school_list(request, authority_slug):
    query = search_text(request.GET.get("q", ""))
    schools = School.objects.select_related("area").order_by("name")
    if query:
        schools = schools.filter(
            Q(name__icontains=query) | Q(urn=query) | Q(postcode__iexact=query)
        )
    page = Paginator(schools, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "schools/school_list.html", {"page": page, "query": query})


@authority_view(*STAFF_ROLES)
def suggestions(request, authority_slug):
    """The schools a picker suggests for the text typed so far (htmx sends the picker's text
    alone, under its field's name). The authority's staff: every form with a picker is theirs,
    and any of them may declare a conflict with any of its schools; school staff are refused
    (403), as they may not list the authority's schools."""
    typed = next(iter(request.GET.values()), "")
    text = search_text(typed, school_picker.TEXT_LIMIT)
    options = school_picker.suggestions(School.objects.all(), text) if text else []
    return render(request, "includes/suggestions.html", {"options": options})


@authority_view()
def school_detail(request, authority_slug, school_pk):
    school = get_school(request, for_its_page(School.objects.select_related("area")), pk=school_pk)
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "can_edit": is_authority_admin.test(request.user, request.authority),
        },
    )


@authority_view(*ADMIN)
def school_edit(request, authority_slug, school_pk=None):
    school = get_object_or_404(School, pk=school_pk) if school_pk else School()
    form = SchoolForm(
        request.POST if request.method == "POST" else None,
        instance=school,
        authority=request.authority,
    )
    if request.method == "POST" and form.is_valid():
        school = domain.save_school(
            authority=request.authority,
            by=request.user,
            school=form.instance,
        )
        messages.success(request, f"{school.name} saved.")
        return redirect("schools:detail", authority_slug=authority_slug, school_pk=school.pk)
    return render(request, "schools/school_form.html", {"form": form, "school": school})


@authority_view(*ADMIN)
def area_list(request, authority_slug):
    areas = Area.objects.annotate(school_count=Count("schools")).order_by("position", "name")
    return render(request, "schools/area_list.html", {"areas": areas})


@authority_view(*ADMIN)
def area_edit(request, authority_slug, area_pk=None):
    area = get_object_or_404(Area, pk=area_pk) if area_pk else Area()
    form = AreaForm(
        request.POST if request.method == "POST" else None,
        instance=area,
        authority=request.authority,
    )
    if request.method == "POST" and form.is_valid():
        domain.save_area(authority=request.authority, by=request.user, area=form.instance)
        messages.success(request, f"Area “{form.instance.name}” saved.")
        return redirect("schools:areas", authority_slug=authority_slug)
    return render(request, "schools/area_form.html", {"form": form, "area": area})


@authority_view(*ADMIN)
def import_upload(request, authority_slug):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        school_import = gias.save_upload(
            authority=request.authority, by=request.user, upload=form.cleaned_data["file"]
        )
        return redirect(
            "schools:import_preview", authority_slug=authority_slug, import_pk=school_import.pk
        )
    return render(request, "schools/import_form.html", {"form": form})


@authority_view(*ADMIN)
def import_preview(request, authority_slug, import_pk):
    school_import = get_object_or_404(
        SchoolImport.objects.select_related("uploaded_by", "applied_by"), pk=import_pk
    )
    plan = gias.plan(school_import.rows)
    sections = {
        "problems": gias.problems(school_import),
        "added": plan.added,
        "changed": plan.changed,
    }
    show = request.GET.get("show")
    if show not in sections:
        show = next((name for name, entries in sections.items() if entries), "added")
    page = Paginator(sections[show], PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "schools/import_preview.html",
        {
            "school_import": school_import,
            "plan": plan,
            "to_import": len(plan.added) + len(plan.changed),
            "sections": sections,
            "show": show,
            "page": page,
        },
    )


@require_POST
@authority_view(*ADMIN)
def import_apply(request, authority_slug, import_pk):
    school_import = get_object_or_404(SchoolImport, pk=import_pk)
    try:
        plan = gias.apply(
            authority=request.authority,
            by=request.user,
            school_import=school_import,
            digest=request.POST.get("plan", ""),
        )
    except gias.ImportRefused as refused:
        messages.error(request, refused.message)
        return redirect(
            "schools:import_preview", authority_slug=authority_slug, import_pk=school_import.pk
        )
    messages.success(
        request, f"Schools imported: {len(plan.added)} added, {len(plan.changed)} changed."
    )
    return redirect("schools:list", authority_slug=authority_slug)
