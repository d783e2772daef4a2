from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "awards"

    def ready(self):
        from schools.access import PAGE_READS

        from .domain import with_awards

        PAGE_READS.append(with_awards)  # the school's awards, on the school's page
