from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"

    def ready(self):
        from schools.access import PAGE_READS

        from .domain import with_cluster

        PAGE_READS.append(with_cluster)  # the cluster the school leads, on the school's page
