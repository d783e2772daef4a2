from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"

    def ready(self):
        from schools.access import read_on_page

        from .domain import with_cluster

        read_on_page(with_cluster)  # the cluster the school leads, on the school's page
