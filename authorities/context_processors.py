from django.utils.functional import SimpleLazyObject

from .models import Authority


def authority(request):
    def my_authorities():
        if not request.user.is_authenticated:
            return []
        return list(Authority.objects.filter(memberships__user=request.user).distinct())

    return {
        "authority": getattr(request, "authority", None),
        "roles": getattr(request, "roles", frozenset()),
        "my_authorities": SimpleLazyObject(my_authorities),
    }
