"""The award logo: the IQM mark with the tier and the year, as SVG, and as PNG drawn from that SVG;
and the plaque's artwork, the same mark with the school's name beneath it.

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


def _glyph_names(font: TTFont, text: str) -> list[str]:
    cmap = font.getBestCmap()
    return [cmap.get(ord(character), ".notdef") for character in text]


def width(text: str, font_name: str, size: float) -> float:
    """How wide `text` is when set at `size` (in the size's units)."""
    font = _font(font_name)
    units = sum(font["hmtx"][name][0] for name in _glyph_names(font, text))
    return units * size / font["head"].unitsPerEm


def outline(
    text: str, font_name: str, size: float, centre: float, baseline: float, max_width: float
) -> str:
    """SVG path data of `text` set in one line centred on `centre`, shrunk to fit `max_width`."""
    font = _font(font_name)
    glyphs, metrics = font.getGlyphSet(), font["hmtx"]
    names = _glyph_names(font, text)
    units = sum(metrics[name][0] for name in names)
    scale = min(size / font["head"].unitsPerEm, max_width / units) if units else 0
    x = centre - units * scale / 2
    pen = SVGPathPen(glyphs, ntos=lambda n: f"{n:.2f}".rstrip("0").rstrip("."))
    for name in names:
        # Font units grow upwards, SVG's downwards: flip and place each glyph on the baseline.
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, x, baseline)))
        x += metrics[name][0] * scale
    return pen.getCommands()


def _mark(award: Award) -> dict:
    """What templates/awards/_mark.svg, the round mark on a 400 × 400 grid, is drawn from."""
    year = award.awarded_on.year
    return {
        "award": award,
        "year": year,
        "colour": COLOURS[award.tier],
        "authority": outline(award.authority.name, SANS, 22, 200, 122, 250),
        "mark": outline("IQM", SERIF_BOLD, 112, 200, 226, 280),
        "tier": outline(award.get_tier_display(), SANS, 28, 200, 277, 290),
        "year_text": outline(str(year), SERIF_BOLD, 36, 200, 339, 120),
    }


def svg(award: Award) -> str:
    return render_to_string("moderation/logo.svg", _mark(award))


# The plaque's artwork, in millimetres: the size plaque makers take, landscape. Nothing is drawn
# within SAFE_MARGIN of the edge, so that trimming the plate cannot cut into the artwork.
PLAQUE_WIDTH, PLAQUE_HEIGHT, SAFE_MARGIN = 300, 200, 15
MARK_SIZE = 110  # the round mark's diameter
NAME_SIZE, NAME_WIDTH = 14, PLAQUE_WIDTH - 2 * SAFE_MARGIN - 20
NAME_GAP = 20  # from the foot of the mark to the name's first baseline
LINE_HEIGHT = 18
NAME_DESCENT = 0.24 * NAME_SIZE  # how far DejaVu Serif Bold's lowest letters reach below the line


def plaque_svg(award: Award) -> str:
    """The plaque's artwork as SVG: the logo's mark with the school's name beneath it, in one line
    or in two if it is too long for one, centred on the page."""
    lines = name_lines(award.school.name, SERIF_BOLD, NAME_SIZE, NAME_WIDTH)
    # Both lines at the same size: the size at which the longer fits.
    size = min(NAME_SIZE * NAME_WIDTH / width(line, SERIF_BOLD, NAME_SIZE) for line in lines)
    size = min(size, NAME_SIZE)
    height = MARK_SIZE + NAME_GAP + LINE_HEIGHT * (len(lines) - 1) + NAME_DESCENT
    top, centre = (PLAQUE_HEIGHT - height) / 2, PLAQUE_WIDTH / 2
    first = top + MARK_SIZE + NAME_GAP
    return render_to_string(
        "awards/plaque.svg",
        {
            **_mark(award),
            "width": PLAQUE_WIDTH,
            "height": PLAQUE_HEIGHT,
            "mark_transform": f"translate({centre - MARK_SIZE / 2:g} {top:g}) "
            f"scale({MARK_SIZE / 400:g})",
            "name": [
                outline(line, SERIF_BOLD, size, centre, first + LINE_HEIGHT * at, NAME_WIDTH)
                for at, line in enumerate(lines)
            ],
        },
    )


def name_lines(text: str, font_name: str, size: float, max_width: float) -> list[str]:
    """`text` in one line if it fits `max_width`, else in the two lines split at the space that
    makes the longer of them shortest."""
    words = text.split()
    if width(text, font_name, size) <= max_width or len(words) < 2:
        return [text]
    splits = [(" ".join(words[:at]), " ".join(words[at:])) for at in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(width(line, font_name, size) for line in pair)))


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
