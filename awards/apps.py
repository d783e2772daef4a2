from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "awards"

    def ready(self):
        from schools.access import read_on_page

        from .domain import with_awards

        read_on_page(with_awards)  # the school's awards, on the school's page
