from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django_scopes import ScopedManager

from authorities.models import Authority


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_superuser(self, email, password=None, **fields):
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Staff users are platform admins: they create authorities but see no
    authority's data unless they are also a member of it."""

    email = models.EmailField(
        unique=True, error_messages={"unique": "Someone already has an account with this email."}
    )
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("platform admin", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When an optional second factor was offered after sign-in (accounts/two_factor.py): once.
    second_factor_offered_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self):
        return self.full_name or self.email

    @staticmethod
    def name_at(path: str):
        """What `str()` gives of the person at `path` (e.g. "mentor"), as SQL: a list that shows
        only the names of its rows' people reads them as a column, not a User made for each row."""
        name = NullIf(F(f"{path}__full_name"), Value(""))
        return Coalesce(name, F(f"{path}__email"), output_field=models.CharField())

    def clean(self):
        super().clean()
        self.email = self.email.lower()


class Role(models.TextChoices):
    SCHOOL_COORDINATOR = "school_coordinator", "School coordinator"
    SCHOOL_CONTRIBUTOR = "school_contributor", "School contributor"
    HEAD_TEACHER = "head_teacher", "Head teacher"
    MENTOR = "mentor", "Mentor"
    MODERATOR = "moderator", "Moderator"
    PANEL_MEMBER = "panel_member", "Panel member"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    AUTHORITY_ADMIN = "authority_admin", "Authority admin"


SCHOOL_ROLES = frozenset({Role.SCHOOL_COORDINATOR, Role.SCHOOL_CONTRIBUTOR, Role.HEAD_TEACHER})
STAFF_ROLES = frozenset(set(Role) - SCHOOL_ROLES)


class Membership(models.Model):
    """A person's role in an authority; school roles are held for one school."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["user__full_name", "role"]
        constraints = [
            models.UniqueConstraint(
                "authority",
                "user",
                "role",
                "school",
                name="membership_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=SCHOOL_ROLES, school__isnull=False)
                | (~models.Q(role__in=SCHOOL_ROLES) & models.Q(school__isnull=True)),
                name="membership_school_iff_school_role",
            ),
        ]

    def __str__(self):
        where = f" at {self.school}" if self.school_id else ""
        return f"{self.user}: {self.get_role_display()}{where}"


class Invitation(models.Model):
    """An invitation by email to take a role; the link carries a token of which only the hash is
    kept."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email} ({self.get_role_display()})"

    @property
    def is_pending(self):
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class UserSession(AbstractBaseSession):
    """A session (Django's database session, SESSION_ENGINE = "accounts.sessions") with the person
    signed in to it, so that all of a person's sessions can be ended at once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """A personal API token (accounts/tokens.py): for one authority, read-only or read-write."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “MIS sync”.")
    can_write = models.BooleanField(
        "read and write",
        default=False,
        help_text="Without it the token can only read.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=4, editable=False, help_text="The secret's last characters.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} (…{self.hint})"
