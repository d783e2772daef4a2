import factory
from django_scopes import scopes_disabled

from accounts.models import Membership, Role, User
from authorities.models import Authority
from clusters.domain import name_of_partner
from moderation.models import Conflict
from schools.models import Area, School


class ScopesDisabledFactory(factory.django.DjangoModelFactory):
    """Fixtures are built outside any request, for several authorities at once."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    name = factory.Sequence(lambda n: f"Authority {n}")
    slug = factory.Sequence(lambda n: f"authority-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save(update_fields=["password"])


class AreaFactory(ScopesDisabledFactory):
    class Meta:
        model = Area

    authority = factory.SubFactory(AuthorityFactory)
    name = factory.Sequence(lambda n: f"Area {n}")


class SchoolFactory(ScopesDisabledFactory):
    class Meta:
        model = School

    authority = factory.SubFactory(AuthorityFactory)
    area = factory.SubFactory(AreaFactory, authority=factory.SelfAttribute("..authority"))
    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: str(100000 + n))
    phase = School.Phase.PRIMARY


class MembershipFactory(ScopesDisabledFactory):
    class Meta:
        model = Membership

    authority = factory.SubFactory(AuthorityFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AUTHORITY_ADMIN
    school = None


class ConflictFactory(ScopesDisabledFactory):
    class Meta:
        model = Conflict

    authority = factory.SubFactory(AuthorityFactory)
    person = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory, authority=factory.SelfAttribute("..authority"))
    reason = "A declared conflict"


# Clusters (issue 12, part A)


class ClusterFactory(ScopesDisabledFactory):
    class Meta:
        model = "clusters.Cluster"

    lead_school = factory.SubFactory(SchoolFactory)
    authority = factory.SelfAttribute("lead_school.authority")
    name = factory.LazyAttribute(lambda o: f"{o.lead_school.name} cluster")


class PartnerFactory(ScopesDisabledFactory):
    class Meta:
        model = "clusters.Partner"

    cluster = factory.SubFactory(ClusterFactory)
    school = factory.SubFactory(
        SchoolFactory, authority=factory.SelfAttribute("..cluster.authority")
    )
    name = factory.LazyAttribute(
        lambda partner: name_of_partner(partner.cluster, partner.school) if partner.school else ""
    )


def give_partners(school, *partners):
    """The school leads a cluster (made if need be) with these partner schools."""
    from clusters.models import Cluster

    with scopes_disabled():
        cluster = Cluster.objects.filter(lead_school=school).first() or ClusterFactory(
            lead_school=school
        )
    for partner in partners:
        PartnerFactory(cluster=cluster, school=partner)
    return cluster
