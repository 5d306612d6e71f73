"""UPDATE … RETURNING: change rows and read them back in one round trip.

Django's ORM has no update-and-return (QuerySet.update answers a row count, so every
compare-and-set on the agent's session row cost an UPDATE plus a SELECT). PostgreSQL and
SQLite (3.35+) both speak `UPDATE … RETURNING`; this builds that statement from the model's
own fields, so values are prepared and read back exactly as the ORM would.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    sql, params = update_sql(model, where, where_params, values, expressions, using)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {returning_columns(model, using)}", params)
        rows = cursor.fetchall()
    return [from_row(model, row, using) for row in rows]


def update_sql(
    model: type[models.Model],
    where: str,
    where_params: list[Any],
    values: dict[str, Any],
    expressions: dict[str, tuple[str, list[Any]]] | None = None,
    using: str = "default",
) -> tuple[str, list[Any]]:
    """The UPDATE of `update_returning`, without its RETURNING clause, and its parameters."""
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
    # Identifiers come from the model, SQL fragments from the caller's constants.
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {where}"  # noqa: S608
    return sql, [*params, *where_params]


def insert_sql(
    instance: models.Model, where: str = "", using: str = "default"
) -> tuple[str, list[Any]]:
    """An INSERT of `instance` (its primary key left to the database), as the ORM would
    prepare its values, and its parameters: for a statement that also does other work. With
    `where` (SQL of the caller's constants), only when that holds."""
    connection = connections[using]
    meta = instance._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = quote(meta.db_table)  # identifiers from the model, values as parameters
    if where:
        return f"INSERT INTO {table} ({columns}) SELECT {marks} WHERE {where}", params
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", params  # noqa: S608


def returning_columns(model: type[models.Model], using: str = "default") -> str:
    """Every concrete column of `model`, in the order `from_row` reads them."""
    quote = connections[using].ops.quote_name
    return ", ".join(quote(field.column) for field in model._meta.concrete_fields)


def from_row(model: type[Row], row: Sequence[Any], using: str = "default") -> Row:
    """A model instance from a row of `returning_columns`, converted as the ORM converts."""
    connection = connections[using]
    meta = model._meta
    fields = meta.concrete_fields
    converted = []
    for field, value in zip(fields, row, strict=True):
        col = field.get_col(meta.db_table)
        converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(using, [field.attname for field in fields], converted)
