"""`make bench-pdf`: how fast the portal makes its PDFs, beside bare WeasyPrint (the floor).

The floor renders the same HTML with WeasyPrint's own URL fetcher reading the same static files
from disk, so the difference is what the portal adds: its hardened fetcher and reading the pages
back. The memory figure shows whether a worker grows from one render to the next. Figures are
medians over --runs renders, after one warm-up render each.
"""

import resource
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from reports import render
from reports.bench import median_seconds
from reports.models import RenderJob


def rss_mb():
    """This process's resident memory now, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bare_weasyprint(html):
    """WeasyPrint on its own, reading the static files from disk, keeping its fonts between renders
    as the portal does."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    static_dir = Path(settings.STATICFILES_DIRS[0]).resolve()
    on_disk = html.replace(f"({settings.STATIC_URL}", f"({static_dir.as_uri()}/").replace(
        f'"{settings.STATIC_URL}', f'"{static_dir.as_uri()}/'
    )
    fonts = FontConfiguration()
    return lambda: weasyprint.HTML(string=on_disk).write_pdf(font_config=fonts)


def portal(html):
    return lambda: render.count_pages(render.write_pdf(html))


class Command(BaseCommand):
    help = (
        "Time the assessment report and the certificate of the demo against bare WeasyPrint; "
        "print peak memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7, help="Renders per figure (at least 5).")
        parser.add_argument(
            "--memory-renders", type=int, default=100, help="Renders in the memory check."
        )

    def handle(self, *args, runs, memory_renders, **options):
        if runs < 5:
            raise CommandError("--runs must be at least 5.")
        report_html, certificate_html = self.demo_documents()
        pages = render.count_pages(render.write_pdf(report_html))
        floor = median_seconds(bare_weasyprint(report_html), runs)
        ours = median_seconds(portal(report_html), runs)
        certificate = median_seconds(portal(certificate_html), runs)
        out = self.stdout.write
        out(f"Assessment report of the demo ({pages} pages), median of {runs} renders:")
        out(f"  bare WeasyPrint (floor)  {floor:.3f} s   {pages / floor:.1f} pages/s")
        out(
            f"  portal                   {ours:.3f} s   {pages / ours:.1f} pages/s   "
            f"({(ours / floor - 1) * 100:+.1f}% of the floor)"
        )
        out(f"Certificate, median of {runs} renders: {certificate:.3f} s (target: under 0.333 s)")

        make = portal(report_html)
        for _ in range(10):
            make()
        warm = rss_mb()
        for _ in range(memory_renders - 10):
            make()
        out(
            f"Memory over {memory_renders} report renders: {warm:.0f} MB after 10, "
            f"{rss_mb():.0f} MB after {memory_renders}; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )

    def demo_documents(self):
        from awards.models import Award
        from moderation.models import Report

        with scopes_disabled():
            report = Report.objects.filter(
                finalised_at__isnull=False, cycle__authority__slug="bathnes"
            ).first()
            award = (
                Award.objects.filter(authority__slug="bathnes")
                .select_related("school", "authority")
                .first()
            )
            if report is None or award is None:
                raise CommandError(
                    "No finished report and award in the demo: run `make demo` first."
                )
            return render.build_html(RenderJob.Kind.REPORT, report), render.build_html(
                RenderJob.Kind.CERTIFICATE, award
            )
