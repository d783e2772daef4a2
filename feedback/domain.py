"""Page feedback: visitors' star ratings of the authority's public pages, and sign-ups to test its
website. Spam never reaches here: the views drop a filled honeypot and a flood before saving."""

import csv
import io
from dataclasses import dataclass

from django.db.models import Avg, Count
from django.urls import Resolver404, resolve
from django.utils import timezone

from authorities import public_pages
from authorities.spreadsheets import text_cell

from .models import PAGE_MAX_LENGTH, PageRating, TesterSignup


@dataclass(frozen=True)
class Score:
    average: float | None
    count: int


def is_public_page(authority, page: str) -> bool:
    """Whether `page` is the path of a page of this authority that anyone may open: only those are
    rated, so a forged path can neither point elsewhere nor name a page the public cannot see."""
    if len(page) > PAGE_MAX_LENGTH or not page.startswith(f"/{authority.slug}/"):
        return False
    try:
        view = resolve(page).func
    except Resolver404:
        return False
    policy = getattr(view, "authority_policy", None)
    return policy is not None and policy.public


def rate(*, authority, page: str, stars: int) -> PageRating:
    rating = PageRating.objects.create(authority=authority, page=page, stars=stars)
    public_pages.changed(authority.pk)  # the page's score, in its feedback box
    return rating


def sign_up(*, authority, name: str, email: str, page: str) -> TesterSignup:
    signup, _ = TesterSignup.objects.update_or_create(
        authority=authority, email=email.lower(), defaults={"name": name, "page": page}
    )
    return signup


def score(authority, page: str) -> Score:
    """The page's average rating and number of votes, in one query."""
    found = PageRating.objects.filter(authority=authority, page=page).aggregate(
        average=Avg("stars"), count=Count("pk")
    )
    return Score(**found)


def scores_by_page(authority):
    """Each rated page with its average and number of votes, in one query."""
    return (
        PageRating.objects.filter(authority=authority)
        .values("page")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("page")
    )


def ratings_csv(authority) -> str:
    rows = (
        PageRating.objects.filter(authority=authority)
        .order_by("rated_at", "pk")
        .values_list("rated_at", "page", "stars")
    )
    return _csv(["rated_at", "page", "stars"], rows)


def signups_csv(authority) -> str:
    rows = (
        TesterSignup.objects.filter(authority=authority)
        .order_by("signed_up_at", "pk")
        .values_list("signed_up_at", "name", "email", "page")
    )
    return _csv(["signed_up_at", "name", "email", "page"], rows)


def _csv(header, rows) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a byte order mark, so spreadsheets read the names as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for when, *values in rows:
        writer.writerow(
            [timezone.localtime(when).isoformat(timespec="seconds"), *map(text_cell, values)]
        )
    return out.getvalue()
