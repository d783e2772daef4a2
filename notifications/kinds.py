"""The portal's notifications: each kind's default email, who gets it, and the variables it may use.

An authority admin can replace a kind's subject and body with their own text (`EmailTemplate`);
these defaults are used otherwise. Both are Django template text rendered for plain-text email
(no HTML escaping) from the kind's variables only: plain values (text, numbers, dates), never
model objects, so an email template cannot reach anything its variables do not hold.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

COMMON_VARIABLES = {
    "authority": "The authority's name, e.g. “Bath & North East Somerset”.",
    "url": "The address of the page in the portal where the reader can act on this email.",
}
COMMON_SAMPLE = {"url": "https://iqm-portal.example.org/your-authority/cycles/123/"}
SIGN_OFF = "\n\n{{ url }}\n\n{{ authority }} – IQM Portal\n"


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    sent_when: str  # when it is sent, and to whom
    subject: str
    body: str
    variables: dict[str, str]  # name -> what it holds, shown to the admin who edits the template
    sample: dict = field(default_factory=dict)  # example values for the preview


def _kind(key, title, sent_when, subject, body, variables, sample) -> Kind:
    return Kind(
        key=key,
        title=title,
        sent_when=sent_when,
        subject=subject,
        body="Hello,\n\n" + body + SIGN_OFF,
        variables={**variables, **COMMON_VARIABLES},
        sample={**sample, **COMMON_SAMPLE},
    )


SCHOOL = {"school": "The school's name."}
SAMPLE_SCHOOL = {"school": "Chandag Infant School"}

KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        _kind(
            "cycle.registered",
            "School registered",
            "A school is registered for an assessment. To the school's coordinator and head "
            "teacher, and its mentor.",
            "{{ school }} is registered for the Inclusion Quality Mark",
            "{{ school }} is registered for its {{ assessment }}, with {{ mentor }} as mentor. "
            "The school can start its self-review now.",
            {
                **SCHOOL,
                "assessment": "The kind of assessment, e.g. “initial assessment”.",
                "mentor": "The mentor's name.",
            },
            {**SAMPLE_SCHOOL, "assessment": "initial assessment", "mentor": "Maya Mentor"},
        ),
        _kind(
            "cycle.submitted",
            "Self-review submitted",
            "A school submits its self-review. To its mentor.",
            "{{ school }} has submitted its self-review",
            "{{ submitted_by }} has submitted the self-review of {{ school }} for you to validate.",
            {**SCHOOL, "submitted_by": "The name of the person who submitted it."},
            {**SAMPLE_SCHOOL, "submitted_by": "Hannah Head"},
        ),
        _kind(
            "cycle.returned",
            "Self-review returned",
            "The mentor returns the self-review with comments. To the school's coordinator and "
            "head teacher.",
            "Your mentor has returned the self-review of {{ school }}",
            "{{ mentor }} has returned the self-review of {{ school }} with comments:\n\n"
            "{{ comment }}",
            {**SCHOOL, "mentor": "The mentor's name.", "comment": "The mentor's comments."},
            {
                **SAMPLE_SCHOOL,
                "mentor": "Maya Mentor",
                "comment": "Please add evidence for element 4.",
            },
        ),
        _kind(
            "cycle.validated",
            "Self-review validated",
            "The mentor validates the self-review. To the school's coordinator and head teacher.",
            "Your mentor has validated the self-review of {{ school }}",
            "{{ mentor }} has validated the self-review of {{ school }}. "
            "The next step is the action plan and the portfolio of evidence.",
            {**SCHOOL, "mentor": "The mentor's name."},
            {**SAMPLE_SCHOOL, "mentor": "Maya Mentor"},
        ),
        _kind(
            "cycle.portfolio_submitted",
            "Portfolio submitted",
            "A school submits its portfolio of evidence for moderation. To the authority admins, "
            "the panel chair and the school's mentor.",
            "{{ school }} has submitted its portfolio for moderation",
            "{{ school }} has submitted its portfolio of evidence for moderation. "
            "The panel can now check it is ready for a visit.",
            SCHOOL,
            SAMPLE_SCHOOL,
        ),
        _kind(
            "portfolio.returned",
            "Portfolio returned after the desk check",
            "The desk check finds the portfolio is not ready for a visit. To the school's "
            "coordinator and head teacher, and its mentor.",
            "The portfolio of {{ school }} needs more work before the visit",
            "The panel has checked the portfolio of evidence of {{ school }} and returned it:\n\n"
            "{{ reasons }}",
            {**SCHOOL, "reasons": "Why the portfolio was returned."},
            {**SAMPLE_SCHOOL, "reasons": "There is no evidence yet for elements 7 and 8."},
        ),
        _kind(
            "visit.planned",
            "Visit planned",
            "The moderation visit is given a date. To the school's coordinator and head teacher, "
            "and the two moderators.",
            'Moderation visit to {{ school }} on {{ visit_date|date:"j F Y" }}',
            '{{ moderators }} will visit {{ school }} on {{ visit_date|date:"l j F Y" }} '
            "for its assessment.",
            {
                **SCHOOL,
                "visit_date": "The day of the visit (a date: use the date filter to format it).",
                "moderators": "The names of the two moderators, e.g. “Mo Moderator and Ola Other”.",
            },
            {
                **SAMPLE_SCHOOL,
                "visit_date": date(2026, 3, 12),
                "moderators": "Mo Moderator and Ola Other",
            },
        ),
        _kind(
            "report.final",
            "Assessment report finished",
            "The moderators finish the assessment report. To the authority admins and the panel "
            "chair.",
            "The assessment report of {{ school }} is ready",
            "The moderators have finished the assessment report of {{ school }}. "
            "They recommend: {{ recommendation }}.",
            {
                **SCHOOL,
                "recommendation": (
                    "The moderators' recommendation, e.g. “award the Inclusion Quality Mark”."
                ),
            },
            {**SAMPLE_SCHOOL, "recommendation": "award the Inclusion Quality Mark"},
        ),
        _kind(
            "vote.opened",
            "Panel vote opened",
            "The panel's vote on a school opens. To the panel members who may vote on it.",
            "Your vote is needed: {{ school }}",
            "The panel's vote on {{ school }} is open. The moderators recommend: "
            "{{ recommendation }}.\n\nPlease read the report and cast your vote.",
            {**SCHOOL, "recommendation": "The moderators' recommendation."},
            {**SAMPLE_SCHOOL, "recommendation": "award the Inclusion Quality Mark"},
        ),
        _kind(
            "decision.recorded",
            "Panel decision recorded",
            "The panel chair records the panel's decision. To the school's coordinator and head "
            "teacher, its mentor and the moderators.",
            "The panel's decision on {{ school }}",
            "The moderation panel has decided: {{ decision }}.\n\n{{ rationale }}",
            {
                **SCHOOL,
                "decision": "The decision, e.g. “award the Inclusion Quality Mark”.",
                "rationale": "The panel's reasons, as the chair recorded them.",
            },
            {
                **SAMPLE_SCHOOL,
                "decision": "award the Inclusion Quality Mark",
                "rationale": "The report shows inclusive practice embedded across the school.",
            },
        ),
        _kind(
            "decision.corrected",
            "Panel decision corrected",
            "The panel chair records a correction of the panel's decision. To the school's "
            "coordinator and head teacher, its mentor, the moderators and the authority admins.",
            "The panel's decision on {{ school }} is corrected",
            "The moderation panel's decision has been corrected: {{ decision }}.\n\n"
            "Why it was corrected: {{ reason }}\n\n{{ rationale }}",
            {
                **SCHOOL,
                "decision": "The corrected decision, e.g. “defer”.",
                "reason": "Why the decision was corrected, as the chair recorded it.",
                "rationale": "The panel's reasons for the corrected decision.",
            },
            {
                **SAMPLE_SCHOOL,
                "decision": "defer",
                "reason": "The tally was recorded wrongly.",
                "rationale": "Two elements need more evidence before a visit.",
            },
        ),
        _kind(
            "award.made",
            "Award made",
            "A school is awarded a tier. To the school's coordinator and head teacher, and the "
            "authority admins.",
            "{{ school }} is awarded the {{ tier }}",
            'Congratulations: {{ school }} holds the {{ tier }} from {{ awarded_on|date:"j F Y" }} '
            'until {{ expires_on|date:"j F Y" }}. The certificate and logo are ready to download.',
            {
                **SCHOOL,
                "tier": "The tier, e.g. “Inclusion Quality Mark”.",
                "awarded_on": "The date of the award.",
                "expires_on": "The date it expires.",
            },
            {
                **SAMPLE_SCHOOL,
                "tier": "Inclusion Quality Mark",
                "awarded_on": date(2026, 7, 1),
                "expires_on": date(2029, 6, 30),
            },
        ),
        _kind(
            "plaque.sent",
            "Plaque sent",
            "The authority records a school's plaque as sent. To the school's coordinator and head "
            "teacher.",
            "The {{ tier }} plaque of {{ school }} is on its way",
            'The plaque of the {{ tier }} of {{ school }} was sent on {{ sent_on|date:"j F Y" }}. '
            "Please tell us if it has not arrived within a few weeks.",
            {
                **SCHOOL,
                "tier": "The tier, e.g. “Inclusion Quality Mark”.",
                "sent_on": "The date the plaque was sent.",
            },
            {**SAMPLE_SCHOOL, "tier": "Inclusion Quality Mark", "sent_on": date(2026, 8, 3)},
        ),
        _kind(
            "workshop.place_given",
            "Workshop place from the waiting list",
            "Someone gives up a place at a full workshop (or it is given more places). To the "
            "first person on its waiting list, who now has the place.",
            "You have a place: {{ workshop }}",
            'A place has come free at “{{ workshop }}” on {{ starts_at|date:"l j F Y, H:i" }} '
            "({{ place }}), and it is yours: you were next on the waiting list.\n\n"
            "If you can no longer come, please cancel your place so the next person can have it.",
            {
                "workshop": "The workshop's title.",
                "starts_at": "When it starts (a date and time: use the date filter to format it).",
                "place": "Where it is held.",
            },
            {
                "workshop": "Inclusive practice in the early years",
                "starts_at": datetime(2027, 3, 14, 15, 30),
                "place": "Guildhall, Bath",
            },
        ),
        # The daily reminders job (reminders.py): each once per milestone.
        _kind(
            "award.expiring",
            "Award expiring",
            "The authority's reminder lead time before an award expires, and again one month "
            "before. To the school's coordinator and head teacher, and the authority admins.",
            'The {{ tier }} of {{ school }} expires on {{ expires_on|date:"j F Y" }}',
            'The {{ tier }} of {{ school }} expires on {{ expires_on|date:"j F Y" }}. '
            "To keep it, the school needs its {{ renewal }} decided by then; otherwise the award "
            "lapses.",
            {
                **SCHOOL,
                "tier": "The tier, e.g. “Inclusion Quality Mark”.",
                "expires_on": "The date it expires.",
                "renewal": "What renews it: “reassessment” or “annual review”.",
            },
            {
                **SAMPLE_SCHOOL,
                "tier": "Inclusion Quality Mark",
                "expires_on": date(2029, 6, 30),
                "renewal": "reassessment",
            },
        ),
        _kind(
            "award.review_due",
            "Annual review due",
            "A Centre of Excellence or Flagship award reaches the reminder lead time, or one month "
            "before it expires, and no annual review is registered. To the school's coordinator "
            "and head teacher, and the authority admins.",
            "{{ school }}: the annual review of its {{ tier }} is due",
            'The {{ tier }} of {{ school }} expires on {{ expires_on|date:"j F Y" }} and its '
            "annual review is not registered yet. To keep the award, the school needs its annual "
            "review decided by then: the authority registers the review, then the school writes "
            "its annual update.",
            {
                **SCHOOL,
                "tier": "The tier, e.g. “Centre of Excellence”.",
                "expires_on": "The date it expires.",
            },
            {**SAMPLE_SCHOOL, "tier": "Centre of Excellence", "expires_on": date(2027, 6, 30)},
        ),
        _kind(
            "award.lapsed",
            "Award lapsed",
            "An award has expired without being renewed. To the school's coordinator and head "
            "teacher, and the authority admins.",
            "The {{ tier }} of {{ school }} has lapsed",
            'The {{ tier }} of {{ school }} expired on {{ expires_on|date:"j F Y" }} and has '
            "lapsed. {% if still_holds %}The school still holds the {{ still_holds }}."
            "{% else %}From the next publication of the list, the school is listed as working "
            "towards the Inclusion Quality Mark.{% endif %}",
            {
                **SCHOOL,
                "tier": "The tier that lapsed, e.g. “Inclusion Quality Mark”.",
                "expires_on": "The date it expired.",
                "still_holds": "The tier the school still holds, or nothing if none.",
            },
            {
                **SAMPLE_SCHOOL,
                "tier": "Centre of Excellence",
                "expires_on": date(2027, 6, 30),
                "still_holds": "Inclusion Quality Mark",
            },
        ),
        _kind(
            "targets.overdue",
            "Action-plan targets overdue",
            "The deadline of targets of a school's action plan has passed and they are not done "
            "(once for each deadline). To the school's coordinator and head teacher, and its "
            "mentor.",
            "{{ school }}: {{ count }} action-plan target{{ count|pluralize }} overdue",
            "The deadline of {{ count }} target{{ count|pluralize }} of the action plan of "
            "{{ school }} has passed, and {{ count|pluralize:'it is,they are' }} not done:\n\n"
            "{{ targets }}",
            {
                **SCHOOL,
                "count": "How many targets are overdue (a number).",
                "targets": "The overdue targets, one a line: element, action, lead and deadline.",
            },
            {
                **SAMPLE_SCHOOL,
                "count": 1,
                "targets": "- 4 Staffing: Train lunchtime staff (Lee Lead, due 1 May 2027)",
            },
        ),
        # The annual review (Centre of Excellence and Flagship)
        _kind(
            "update.submitted",
            "Annual update submitted",
            "A Centre of Excellence or Flagship school submits its annual update. To its mentor, "
            "the panel chair and the authority admins.",
            "{{ school }} has submitted its annual update",
            "{{ submitted_by }} has submitted the annual update of {{ school }} for its "
            "{{ review }}. The annual visit can now be planned.",
            {
                **SCHOOL,
                "submitted_by": "Who submitted it.",
                "review": "The kind of review, e.g. “centre of excellence review”.",
            },
            {
                **SAMPLE_SCHOOL,
                "submitted_by": "Hana Head",
                "review": "centre of excellence review",
            },
        ),
        _kind(
            "annual_visit.planned",
            "Annual visit planned",
            "A review's annual visit is given a date. To the school's coordinator and head "
            "teacher, and the visiting moderator(s).",
            'Annual visit to {{ school }} on {{ visit_date|date:"j F Y" }}',
            '{{ moderators }} will visit {{ school }} on {{ visit_date|date:"l j F Y" }} '
            "to ratify the year's progress and agree the annual development plan.",
            {
                **SCHOOL,
                "visit_date": "The day of the visit (a date: use the date filter to format it).",
                "moderators": "The name of the moderator, or the two moderators.",
            },
            {**SAMPLE_SCHOOL, "visit_date": date(2026, 3, 12), "moderators": "Mo Moderator"},
        ),
        _kind(
            "review.ratified",
            "Annual visit ratified",
            "The visiting moderator(s) sign the ratification of a review's annual visit. To the "
            "authority admins and the panel chair.",
            "The annual visit to {{ school }} is ratified",
            "The moderators have ratified the annual visit to {{ school }}. "
            "They recommend: {{ recommendation }}. The panel's vote can now be opened.",
            {
                **SCHOOL,
                "recommendation": "The recommendation, e.g. “renew the Centre of Excellence”.",
            },
            {**SAMPLE_SCHOOL, "recommendation": "renew the Centre of Excellence"},
        ),
    ]
}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(f"No notification kind “{key}”.") from None
