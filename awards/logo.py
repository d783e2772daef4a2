"""The award logo: the IQM mark with the tier and the year, as SVG, and as PNG drawn from that SVG.

The lettering is drawn as outlines of the shipped DejaVu fonts (static/fonts), so the logo looks
the same in every browser, print shop and PNG, whatever fonts the machine has: CairoSVG would
otherwise set <text> in whatever fontconfig finds. The words stay readable to assistive technology
and search in the SVG's title and description.
"""

from functools import lru_cache
from hashlib import sha256

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import slugify
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont

from .models import Award, Tier

SANS, SERIF_BOLD = "DejaVuSans.ttf", "DejaVuSerif-Bold.ttf"
PNG_SIZE = 800  # pixels a side: sharp on a school's web page and in a letterhead
# White lettering on each tier's colour has a contrast of at least 7:1 (WCAG AAA).
COLOURS = {
    Tier.QUALITY_MARK: "#1d4f91",
    Tier.CENTRE_OF_EXCELLENCE: "#5a2a82",
    Tier.FLAGSHIP: "#6b4e00",
}


@lru_cache
def _font(name: str) -> TTFont:
    return TTFont(settings.BASE_DIR / "static" / "fonts" / name)


def outline(
    text: str, font_name: str, size: float, centre: float, baseline: float, max_width: float
) -> str:
    """SVG path data of `text` set in one line centred on `centre`, shrunk to fit `max_width`."""
    font = _font(font_name)
    glyphs, cmap, metrics = font.getGlyphSet(), font.getBestCmap(), font["hmtx"]
    names = [cmap.get(ord(character), ".notdef") for character in text]
    units = sum(metrics[name][0] for name in names)
    scale = min(size / font["head"].unitsPerEm, max_width / units) if units else 0
    x = centre - units * scale / 2
    pen = SVGPathPen(glyphs, ntos=lambda n: f"{n:.2f}".rstrip("0").rstrip("."))
    for name in names:
        # Font units grow upwards, SVG's downwards: flip and place each glyph on the baseline.
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, x, baseline)))
        x += metrics[name][0] * scale
    return pen.getCommands()


def svg(award: Award) -> str:
    year = award.awarded_on.year
    return render_to_string(
        "moderation/logo.svg",
        {
            "award": award,
            "year": year,
            "colour": COLOURS[award.tier],
            "authority": outline(award.authority.name, SANS, 22, 200, 122, 250),
            "mark": outline("IQM", SERIF_BOLD, 112, 200, 226, 280),
            "tier": outline(award.get_tier_display(), SANS, 28, 200, 277, 290),
            "year_text": outline(str(year), SERIF_BOLD, 36, 200, 339, 120),
        },
    )


def png(svg_text: str) -> bytes:
    # Imported here: CairoSVG needs the system's libcairo, which only the PNG logo uses.
    import cairosvg

    return cairosvg.svg2png(
        bytestring=svg_text.encode(), output_width=PNG_SIZE, output_height=PNG_SIZE
    )


def filename(award: Award, extension: str) -> str:
    return (
        f"iqm-{slugify(award.school.name)}-{slugify(award.get_tier_display())}"
        f"-{award.awarded_on.year}.{extension}"
    )


def etag(svg_text: str, extension: str) -> str:
    return '"' + sha256(f"{extension}:{PNG_SIZE}:{svg_text}".encode()).hexdigest()[:32] + '"'
