"""Post-processing of the OpenAPI schema: the error replies every operation can give, deprecated aliases.

drf-spectacular documents the success replies of each operation; an API
client must also know its errors. Every operation gets the ``Error`` body
(``config.api_errors``) for 400, 401, 403, 404, 406 and 429, operations with a
body also 415; statuses an operation declares itself (409, ...) are kept.
Filter parameters whose description starts with "Deprecated" are marked
``deprecated``; integer path ids get the bounds the database accepts.
"""

from .api_errors import ERROR_CODES

ERROR_REF = {"$ref": "#/components/schemas/Error"}
MAX_ID = 2**63 - 1
COMMON_ERRORS = {
    "400": "Invalid parameters or body (error.code invalid or parse_error; error.fields per field).",
    "401": "No or invalid credentials (not_authenticated, authentication_failed).",
    "403": "The user's roles do not allow this (permission_denied).",
    "404": "Not found among the user's objects, or no such page or cursor (not_found).",
    "406": "No representation matches the Accept header (not_acceptable).",
    "429": "Throttled (throttled): wait error.retry_after seconds (also the Retry-After header).",
}
BODY_ERRORS = {"415": "The body's content type is not accepted (unsupported_media_type)."}

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error reply. Codes: "
    + "; ".join(f"`{code}`: {meaning}" for code, meaning in ERROR_CODES.items()),
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": sorted(ERROR_CODES), "description": "stable, for programs"},
                "message": {"type": "string", "description": "for people, in the request's language (English by default)"},
                "fields": {
                    "type": "object",
                    "nullable": True,
                    "additionalProperties": {},
                    "description": "messages per parameter or body field (validation errors), else null",
                },
                "retry_after": {"type": "integer", "description": "seconds to wait (throttled replies only)"},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            errors = dict(COMMON_ERRORS)
            if "requestBody" in operation:
                errors.update(BODY_ERRORS)
            for code, description in errors.items():
                responses.setdefault(code, _error_response(description))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and str(parameter.get("description", "")).startswith("Deprecated"):
                    parameter["deprecated"] = True
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.update({"minimum": 1, "maximum": MAX_ID})
    return result
