"""Every error in one shape: RFC 9457 problem details (`application/problem+json`).

    {"type": "about:blank", "title": "Conflict", "status": 409, "code": "illegal_transition",
     "detail": "You cannot submit the self-review while the case is “validated”.",
     "errors": [{"field": "rating", "message": "…"}]}

`code` names the problem for programs; `errors` lists field-level messages (validation only); a
stale version's problem carries `current`, the object as it is now.
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from assessments.workflow import TransitionError

CONTENT_TYPE = "application/problem+json"


class StaleVersion(exceptions.APIException):
    """Someone changed the object since the caller read it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else changed this since you read it: read it again and retry."
    default_code = "stale_version"

    def __init__(self, current, detail=None):
        super().__init__(detail)
        self.current = current


class IllegalTransition(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "illegal_transition"


def _errors(detail, field=None):
    """[{field, message}] from DRF's nested error detail."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = None if key == api_settings.NON_FIELD_ERRORS_KEY else key
            found += _errors(value, f"{field}.{name}" if field and name else field or name)
        return found
    if isinstance(detail, list):
        found = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            found += _errors(value, f"{field}[{index}]" if nested and field else field)
        return found
    return [{"field": field, "message": str(detail)}]


def _translate(exc):
    if isinstance(exc, TransitionError):
        return IllegalTransition(str(exc))
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return exceptions.ValidationError(detail)
    return exc


def handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling, logged
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(response.status_code).phrase,
        "status": response.status_code,
    }
    if isinstance(exc, exceptions.ValidationError):
        errors = _errors(exc.detail)
        problem |= {
            "code": "invalid",
            "detail": "Some of what was sent is not valid: see errors.",
            "errors": errors,
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        problem |= {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc),
        }
    if isinstance(exc, StaleVersion):
        problem["current"] = exc.current
    headers = {
        k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    return Response(
        problem, status=response.status_code, headers=headers, content_type=CONTENT_TYPE
    )


class FieldError(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field, or null for the whole.")
    message = serializers.CharField()


class Problem(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField(help_text="The HTTP status's phrase.")
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text="invalid, not_authenticated, authentication_failed, permission_denied, "
        "not_found, method_not_allowed, stale_version, illegal_transition, throttled, …"
    )
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    errors = FieldError(many=True, required=False, help_text="Field-level messages (400 only).")
    current = serializers.JSONField(
        required=False, help_text="The object as it is now (409 stale_version only)."
    )


def not_found(request, exception=None):
    """Django's 404 handler (iqm_portal/urls.py): under /api/ a problem too, as the API's own
    404s are (an unknown authority in the URL, a path that matches no route); elsewhere the page."""
    if not request.path_info.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    message = exception.args[0] if exception is not None and exception.args else None
    detail = message if isinstance(message, str) and message else "Not found."
    problem = {
        "type": "about:blank",
        "title": HTTPStatus.NOT_FOUND.phrase,
        "status": 404,
        "code": "not_found",
        "detail": detail,
    }
    return JsonResponse(problem, status=404, content_type=CONTENT_TYPE)
