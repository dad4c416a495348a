"""``?ordering=``: only on the fields a viewset declares in ``ordering_fields`` (none by default).

DRF's ``OrderingFilter`` falls back to every serializer field, including
computed ones the database cannot sort by; here a viewset opts in.
"""

from rest_framework.filters import OrderingFilter


class DeclaredOrderingFilter(OrderingFilter):
    ordering_description = "Sort by one of the listed fields; prefix with - for descending (e.g. -id)."

    def get_valid_fields(self, queryset, view, context=None):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not fields:
            return []
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "string", "enum": [*fields, *[f"-{field}" for field in fields]]}
        return parameters
