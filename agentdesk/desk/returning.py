"""UPDATE … RETURNING: change rows and read them back in one round trip.

Django's ORM has no update-and-return (QuerySet.update answers a row count, so every
compare-and-set on the agent's session row cost an UPDATE plus a SELECT). PostgreSQL and
SQLite (3.35+) both speak `UPDATE … RETURNING`; this builds that statement from the model's
own fields, so values are prepared and read back exactly as the ORM would.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections, models

Row = TypeVar("Row", bound=models.Model)


def update_returning(
    model: type[Row],
    where: str,
    where_params: list[Any],
    values: dict[str, Any],
    expressions: dict[str, tuple[str, list[Any]]] | None = None,
    using: str = "default",
) -> Row | None:
    """Set `values` (field name → Python value) and `expressions` (column → SQL over the
    row's columns and its parameters, e.g. ("version + %s", [1])) on the row matching `where`
    (SQL over column names, %s placeholders); the row as stored afterwards, or None when no
    row matched. The SQL given must be the caller's constants: values go in as parameters."""
    rows = update_returning_all(model, where, where_params, values, expressions, using)
    return rows[0] if rows else None


def update_returning_all(
    model: type[Row],
    where: str,
    where_params: list[Any],
    values: dict[str, Any],
    expressions: dict[str, tuple[str, list[Any]]] | None = None,
    using: str = "default",
) -> list[Row]:
    """`update_returning` for every row matching `where`: the rows as stored afterwards."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    sets: list[str] = []
    params: list[Any] = []
    for name, value in values.items():
        field = meta.get_field(name)
        assert isinstance(field, models.Field)  # a concrete column, not a relation's other side
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for column, (sql, sql_params) in (expressions or {}).items():
        sets.append(f"{quote(column)} = {sql}")
        params.extend(sql_params)
    fields = meta.concrete_fields
    returning = ", ".join(quote(field.column) for field in fields)
    # Identifiers come from the model, SQL fragments from the caller's constants.
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {where} "  # noqa: S608
           f"RETURNING {returning}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        rows = cursor.fetchall()
    columns = [(concrete, concrete.get_col(meta.db_table)) for concrete in fields]
    converters = [
        [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        for _field, col in columns
    ]
    found = []
    for row in rows:
        converted = []
        for (_field, col), convert, value in zip(columns, converters, row, strict=True):
            for converter in convert:
                value = converter(value, col, connection)
            converted.append(value)
        found.append(model.from_db(using, [field.attname for field in fields], converted))
    return found
