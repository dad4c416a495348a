"""Pagination of the API's lists.

- Most lists: pages by number (``?page=2``) with a ``count``; ``?page_size=``
  up to 1,000 (default 100).
- Responses and scores, the lists a script pulls whole: a cursor
  (``?cursor=`` from ``next``), no ``count`` (no COUNT query per page, and
  rows added during a pull are neither skipped nor repeated); ``?page_size=``
  up to 1,000. The order is the id (``?ordering=-id`` for newest first).
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class _BoundedSchema:
    """Document the bounds of ``page_size`` (and ``page``), so that a client (or a fuzzer) knows them."""

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
            elif parameter["name"] == "page":
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PageNumberPages(_BoundedSchema, PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"Rows per page (1..{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE})."
    max_page_size = MAX_PAGE_SIZE


class IdCursorPages(_BoundedSchema, CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"Rows per page (1..{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE})."
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"
    cursor_query_description = "The cursor of a page: take it from the previous page's next or previous link."
