from django import template
from django.db.models import F

from assessments.models import Cycle
from assessments.workflow import may_edit_research, may_view_research
from awards.domain import EXCELLENCE, highest_current_award
from flagship.models import ResearchProject

register = template.Library()


@register.simple_tag(takes_context=True)
def research_link(context, school):
    """What the school's page says of its research: {"project": the one under way or the last
    one} for those who may read it, or {"project": None} for a lead of a school that should start
    one (it holds Centre of Excellence or Flagship, or has a Flagship review); None otherwise."""
    user = context["request"].user
    if not may_view_research.test(user, school):
        return None
    latest = F("ended_on").desc(nulls_first=True)  # the one under way, else the last to end
    if project := ResearchProject.objects.filter(school=school).order_by(latest).first():
        return {"project": project}
    award = highest_current_award(school)
    starts = (award is not None and award.tier in EXCELLENCE) or any(
        cycle.kind == Cycle.Kind.FLAGSHIP for cycle in school.cycles.all()
    )
    return {"project": None} if starts and may_edit_research.test(user, school) else None
