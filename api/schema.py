"""The OpenAPI schema's shared parts: every operation documents its problem responses."""

from drf_spectacular.openapi import AutoSchema

from .problems import CONTENT_TYPE, Problem

READ_PROBLEMS = {
    "401": "No token or session, or a token that is revoked or whose person is disabled.",
    "404": "No such object here: another authority's or another school's objects are not found.",
    "429": "Too many requests for this token: wait for the seconds in `Retry-After`.",
    "500": "Something went wrong on the portal's side (503 while its database is out of reach, "
    "with `Retry-After`): nothing was changed; try again later.",
}
WRITE_PROBLEMS = {
    "400": "What was sent is not valid: `errors` lists each field's message.",
    "403": "The person's role does not allow this, or the token can only read.",
    "413": "The body is larger than the portal takes at once (`MAX_REQUEST_MB`): nothing saved.",
    "415": "The body's `Content-Type` is not one this operation takes.",
    "409": "An illegal transition (the reason is in `detail`), or a stale `version` (the object "
    "as it is now is in `current`).",
}


class ProblemSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        problems = dict(READ_PROBLEMS)
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            problems |= WRITE_PROBLEMS
        else:
            problems["403"] = "The person's role does not allow them to read this."
            if self._is_list_view() and self._filters():
                problems["400"] = "A filter's value is not valid: `errors` names each parameter."
        for code, description in problems.items():
            if code not in responses:
                response = self._get_response_for_code(Problem, code, [CONTENT_TYPE], direction)
                response["description"] = description
                responses[code] = response
        return responses

    def _filters(self):
        view = self.view
        return getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)
