"""OpenAPI schema additions of drf-spectacular (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

Every operation can answer the one error shape of drec/errors.py; the views declare their
success answers only, and :func:`error_responses` adds the shared error answers to each
operation here, once, so that generated clients (and the API fuzzing of tests/fuzz) know them.
"""

from http import HTTPStatus
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from rest_framework.request import Request

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error body of the API (SPEC §9).",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "statusCode": {"type": "integer", "minimum": 400, "maximum": 599},
        "error": {"type": "string", "description": "The HTTP reason phrase."},
        "message": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "description": "Validation failures: reasons per field (an object) or per item (an array).",
            "nullable": True,
        },
    },
    "required": ["success", "statusCode", "error", "message"],
    "additionalProperties": True,
}

# The error answers any operation may give (drec.errors.api_exception_handler).
ERROR_STATUSES = {
    HTTPStatus.BAD_REQUEST: "Invalid input: `errors` names each bad field or item.",
    HTTPStatus.UNAUTHORIZED: "Missing, expired or revoked credentials.",
    HTTPStatus.FORBIDDEN: "The caller may not do this (access control, or the organization's rules).",
    HTTPStatus.NOT_FOUND: "No such resource (or not the caller's).",
    HTTPStatus.CONFLICT: "A business rule refused the request.",
    HTTPStatus.GONE: "The resource or endpoint is no longer available.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The upload or batch is too large.",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The request body's content type is not accepted.",
    HTTPStatus.TOO_MANY_REQUESTS: "Rate limited: retry after `Retry-After` seconds.",
    HTTPStatus.SERVICE_UNAVAILABLE: "The database is unavailable or too slow to answer (nothing was changed): "
    "retry after `Retry-After` seconds.",
}
# The answers that tell a client when to try again.
RETRY_STATUSES = (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE)
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """Add the Error component and the shared error answers to every operation; an answer an
    operation already declares keeps its description and gets the Error body if it had none."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                response = responses.setdefault(str(int(status)), {"description": description})
                if not response.get("content"):
                    response["content"] = content
                if status in RETRY_STATUSES:
                    response.setdefault(
                        "headers",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
                    )
    return result
