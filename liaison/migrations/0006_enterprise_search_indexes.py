"""Indexes for finding enterprises by part of their name, or by credit code, among 200,000.

The admin's search (and the filing form's enterprise finder) asks ``name__icontains``, which
PostgreSQL answers with ``UPPER("liaison_enterprise"."name"::text) LIKE UPPER('%…%')``: no
b-tree serves a pattern with a leading wildcard, so it read every row (185 ms). A GIN index of
pg_trgm's trigrams on exactly that expression does. PostgreSQL only: the embedded default runs
on SQLite (``make run`` on a bare machine), where both operations do nothing, so the index is
not in the models' state either (SQLite rebuilds a table with every index of its state, and
would then fail on ``USING gin``). pg_trgm ships with PostgreSQL and is a trusted extension
(PostgreSQL 13+): the database's owner may create it.

The admins that search through an enterprise (supervision codes, inspections, ratings) also
search its credit code with ``=enterprise__credit_code``: ``iexact``, written
``UPPER(credit_code::text) = UPPER('…')``. OR-ed with the name's pattern, an arm no index serves
turns the whole search back into a read of every row, so that expression gets a b-tree of its
own (the unique index is on the bare column)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX_NAME = "enterprise_name_trgm"
CREDIT_CODE_INDEX_NAME = "enterprise_credit_code_upper"
# What GinIndex(OpClass(Upper(Cast("name", TextField())), name="gin_trgm_ops")) emits once
# django.contrib.postgres is installed (it registers OpClass as an index wrapper; without it
# Django writes invalid SQL). The app is not installed (the embedded default is SQLite), so the
# statement is written here, on the very expression the lookup uses.
INDEX_SQL = (
    'CREATE INDEX "enterprise_name_trgm" ON "liaison_enterprise" '
    'USING gin ((UPPER(("name")::text)) gin_trgm_ops)'
)
CREDIT_CODE_INDEX_SQL = (
    'CREATE INDEX "enterprise_credit_code_upper" ON "liaison_enterprise" (UPPER(("credit_code")::text))'
)


def index_add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)
        schema_editor.execute(CREDIT_CODE_INDEX_SQL)


def index_remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX_NAME}"')
        schema_editor.execute(f'DROP INDEX IF EXISTS "{CREDIT_CODE_INDEX_NAME}"')


class Migration(migrations.Migration):
    dependencies = [
        ("liaison", "0005_directoryimport_kinds"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on a database other than PostgreSQL
        migrations.RunPython(index_add, index_remove),
    ]
