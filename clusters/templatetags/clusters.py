from django import template

from clusters.access import may_start_cluster, may_view_cluster
from clusters.domain import partnerships
from clusters.models import Cluster

register = template.Library()


@register.simple_tag(takes_context=True)
def school_cluster(context, school):
    """For the school's page: the cluster it leads (and whether the person may open or start
    it), and the clusters it is a partner in, by name only."""
    user = context["request"].user
    cluster = Cluster.objects.filter(lead_school=school).first()
    if cluster:
        cluster.lead_school = school
    return {
        "cluster": cluster,
        "partners": cluster.partners.filter(removed_at=None).count() if cluster else 0,
        "may_view": bool(cluster) and may_view_cluster.test(user, cluster),
        "may_start": not cluster and may_start_cluster.test(user, school),
        "partner_in": partnerships(school),
    }
