from django import forms
from django.utils.html import format_html

from accounts.models import Role, User
from authorities.school_picker import SchoolField
from schools.models import School

from .domain import kind_options, lead_choices
from .models import REVIEW_COMMENT_LIMIT, TEXT_LIMIT, Cycle, Element, Rating, Target
from .workflow import GIVEN_ELEMENTS

RATING_CHOICES = [(str(value), label) for value, label in Rating.choices]


class StartCycleForm(forms.Form):
    school = SchoolField()
    kind = forms.ChoiceField(
        choices=Cycle.Kind.choices, initial=Cycle.Kind.INITIAL, label="Kind of assessment"
    )
    mentor = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose a mentor")

    def __init__(self, *args, authority, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].among(School.objects.all(), authority)
        self.fields["mentor"].queryset = User.objects.filter(
            memberships__authority=authority, memberships__role=Role.MENTOR
        ).distinct()
        # The page refreshes the form when the school changes (htmx); a mentor chosen while that
        # refresh is on its way is kept rather than replaced by the answer's empty choice.
        self.fields["mentor"].widget.attrs["hx-preserve"] = "true"
        school = self.chosen_school()
        if school is not None:
            self._offer_kinds(school, kind_options(school))
            if not self.is_bound:  # shown as a suggestion reads
                self.initial["school"] = school

    def chosen_school(self):
        """The school chosen so far (posted, or given in the page's address), or None."""
        typed = self.data.get("school") if self.is_bound else self.initial.get("school")
        try:
            return self.fields["school"].clean(typed) if typed else None
        except forms.ValidationError:
            return None

    def _offer_kinds(self, school, options):
        """Only the kinds the school may be registered for, with why the others are not."""
        labels = dict(Cycle.Kind.choices)
        refused = [f"{labels[kind]}: {reason}" for kind, reason in options if reason]
        field = self.fields["kind"]
        field.choices = [(kind, labels[kind]) for kind, reason in options if not reason]
        if refused:
            field.help_text = "Not offered to this school. " + " ".join(refused)
            field.error_messages["invalid_choice"] = (
                f"{school.name} cannot be registered for this kind now."
            )


class AnswerForm(forms.Form):
    """One element of the self-review: a rating per descriptor, the element's rating and four
    texts."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        label="Overall rating of this element",
    )
    practice = forms.CharField(
        label="What the school does",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    evidence = forms.CharField(
        label="Evidence",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="Where someone could see it: documents, data, observations.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    strengths = forms.CharField(
        label="Strengths",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    development = forms.CharField(
        label="Areas for development",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, descriptors, **kwargs):
        super().__init__(*args, **kwargs)
        self.descriptors = descriptors
        for d in descriptors:
            self.fields[f"descriptor-{d.pk}"] = forms.TypedChoiceField(
                choices=RATING_CHOICES,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
                label=f"{d.label} {d.text}",
            )
        for name in ("practice", "evidence", "strengths", "development"):
            self.fields[name].widget.attrs["maxlength"] = TEXT_LIMIT
            self.fields[name].widget.attrs["data-count"] = TEXT_LIMIT

    def descriptor_fields(self):
        return [self[f"descriptor-{d.pk}"] for d in self.descriptors]

    def answer_data(self):
        data = self.cleaned_data
        return {
            "rating": data["rating"],
            "ratings": {
                str(d.pk): data[f"descriptor-{d.pk}"]
                for d in self.descriptors
                if data[f"descriptor-{d.pk}"] is not None
            },
            **{name: data[name] for name in ("practice", "evidence", "strengths", "development")},
        }


class AssignmentForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Contributor", empty_label="Choose a person"
    )
    element = forms.ModelChoiceField(
        queryset=Element.objects.none(), empty_label="Choose an element"
    )

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.filter(
            memberships__school=cycle.school, memberships__role=GIVEN_ELEMENTS
        ).distinct()
        self.fields["element"].queryset = cycle.framework.elements.all()


class ReviewForm(forms.Form):
    """The mentor's decision on one element, autosaved: nothing is chosen until they choose."""

    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        label="Or adjust the rating",
    )
    comment = forms.CharField(
        required=False,
        max_length=REVIEW_COMMENT_LIMIT,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": REVIEW_COMMENT_LIMIT, "data-count": REVIEW_COMMENT_LIMIT}
        ),
        label="Comment for the school",
        help_text="If you adjust the rating, say why.",
    )
    # The "agree" button's value when the page is sent without its script.
    agree = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="What the school should change",
        error_messages={
            "required": "Tell the school what to change before returning the self-review."
        },
    )


class TargetForm(forms.ModelForm):
    element = forms.ModelChoiceField(
        queryset=Element.objects.none(), empty_label="Choose an element"
    )

    class Meta:
        model = Target
        fields = ["element", "action", "lead", "deadline", "success_criteria", "status"]
        widgets = {
            "action": forms.Textarea(attrs={"rows": 3}),
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }

    lead = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Lead person",
        empty_label="Choose a person",
        help_text="Someone with a role at the school.",
    )

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["element"].queryset = cycle.framework.elements.all()
        self.fields["lead"].queryset = lead_choices(cycle, self.instance)
        if self.instance.lead_note:
            # The hint is rendered as HTML: the note, typed by a person, is escaped.
            self.fields["lead"].help_text = format_html(
                "Written before leads were chosen from the school's people: “{}”. "
                "Choose the person it means.",
                self.instance.lead_note,
            )


class FrameworkImportForm(forms.Form):
    file = forms.FileField(
        help_text="A JSON or YAML file in the format described in README.md, up to 512 KB."
    )
    make_current = forms.BooleanField(
        required=False, label="Start new self-reviews on this version"
    )
