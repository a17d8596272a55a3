"""Several counts in one statement.

A confirmation page that says what else goes with an object (``projects.deletion_selectors``)
counts half a dozen tables; one query each cost more in round trips and in Django's own work per
query than PostgreSQL spent counting. ``counts`` asks for all of them at once, each as a scalar
subquery over the queryset's own SQL, so each number is exactly what ``queryset.count()`` gives.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


def counts(**querysets: QuerySet) -> dict[str, int]:
    """``{name: queryset.count()}`` for every queryset given, in one query (on the first one's
    database: all must share it)."""
    if not querysets:
        return {}
    using = {queryset.db for queryset in querysets.values()}
    if len(using) != 1:
        raise ValueError(f"counts across databases: {sorted(using)}")
    alias = using.pop()
    parts, params = [], []
    for queryset in querysets.values():
        try:
            sql, own = queryset.order_by().values("pk").query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:  # .none(), or a filter nothing can match
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (the queryset's own SQL)
        params.extend(own)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip(querysets, (int(number) for number in row), strict=True))
