from django import template

from clusters.access import may_start_cluster, may_view_cluster
from clusters.domain import cluster_led_by, partner_count, partnerships

register = template.Library()


@register.simple_tag(takes_context=True)
def school_cluster(context, school):
    """For the school's page: the cluster it leads (and whether the person may open or start
    it), and the clusters it is a partner in, by name only."""
    user = context["request"].user
    cluster = cluster_led_by(school)
    return {
        "cluster": cluster,
        "partners": partner_count(school),
        "may_view": bool(cluster) and may_view_cluster.test(user, cluster),
        "may_start": not cluster and may_start_cluster.test(user, school),
        "partner_in": partnerships(school),
    }
