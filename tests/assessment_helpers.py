from django_scopes import scope

from assessments import domain
from assessments.models import Rating


def complete_answer_data(element, rating=Rating.ESTABLISHED):
    return {
        "rating": rating,
        "ratings": {str(d.pk): rating for d in element.descriptors.all()},
        "practice": f"What we do for element {element.number}.",
        "evidence": "Tracking data.",
        "strengths": "Strong.",
        "development": "More to do.",
    }


def complete_self_review(world, cycle=None, rating=Rating.ESTABLISHED):
    """Fill in every element as the coordinator."""
    cycle = cycle or world.cycle
    coordinator = world.people["school_coordinator"]
    with scope(authority=cycle.authority):
        for element in cycle.framework.elements.prefetch_related("descriptors"):
            answer = cycle.answers.filter(element=element).first()
            domain.save_answer(
                cycle=cycle,
                element=element,
                by=coordinator,
                version=answer.version if answer else 0,
                data=complete_answer_data(element, rating),
            )


def submit(world, cycle=None):
    cycle = cycle or world.cycle
    head = world.people["head_teacher"]
    with scope(authority=cycle.authority):
        return domain.submit_to_mentor(cycle=cycle, by=head)


def review_all(world, cycle=None, rating=Rating.ESTABLISHED):
    cycle = cycle or world.cycle
    with scope(authority=cycle.authority):
        for element in cycle.framework.elements.all():
            domain.review_element(
                cycle=cycle, element=element, by=cycle.mentor, rating=rating, comment=""
            )


def validate(world):
    """The self-review filled in, submitted, reviewed and validated by the mentor."""
    complete_self_review(world)
    submit(world)
    review_all(world)
    with scope(authority=world.authority):
        domain.validate(cycle=world.cycle, by=world.cycle.mentor)


def submit_portfolio(world):
    """Validated, with one link of evidence, and the portfolio submitted for moderation."""
    from portfolios import domain as portfolio_domain

    validate(world)
    coordinator = world.people["school_coordinator"]
    with scope(authority=world.authority):
        portfolio_domain.add_link(
            cycle=world.cycle,
            by=coordinator,
            url="https://school.example/inclusion",
            title="Inclusion policy",
        )
        portfolio_domain.submit_portfolio(cycle=world.cycle, by=coordinator)


def at_once(count, attempt, refused):
    """Run `attempt` in `count` threads released together; "ok" or "refused" for each, sorted."""
    import threading

    from django.db import connection

    outcomes, barrier = [], threading.Barrier(count)

    def run():
        barrier.wait()
        try:
            attempt()
            outcomes.append("ok")
        except refused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)
