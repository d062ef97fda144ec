"""The trigram index on enterprises' names (migration 0006): the admin's name search (icontains,
which PostgreSQL writes as UPPER(name::text) LIKE UPPER('%…%')) is answered from it instead of a
read of every row, and so is a search OR-ed with the credit code's iexact (its own index on
UPPER(credit_code::text)); on SQLite (the embedded default) the migration leaves nothing behind.

The planner prefers reading a small table to any index, so on PostgreSQL sequential and plain
index scans are switched off for the test's transaction: the plan then shows whether an index can
serve the search's condition at all (a measured plan at 200,000 rows is in the report of this change)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory

from liaison.models import Enterprise
from liaison.tests.test_enterprises import credit_code

pytestmark = pytest.mark.django_db

INDEX = "enterprise_name_trgm"
CREDIT_CODE_INDEX = "enterprise_credit_code_upper"


@pytest.fixture
def registry(db):
    Enterprise.objects.bulk_create(
        Enterprise(
            credit_code=credit_code(n), name=f"杭州{['华兴', '宏达', '金源'][n % 3]}精密机械{n}有限公司"
        )
        for n in range(1, 41)
    )


def admin_search(model, term: str):
    """The queryset a changelist searches with, as its admin builds it."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/liaison/enterprise/", {"q": term})
    request.user = User(is_superuser=True, is_staff=True)
    queryset, _duplicates = model_admin.get_search_results(request, model_admin.get_queryset(request), term)
    return queryset


def index_scans_by_condition_only() -> None:
    """Leave the planner bitmap scans only: an index then serves a table only through a condition
    it can answer (a full scan of the primary key, with the search as a filter, is not one)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Enterprise._meta.db_table))


def test_the_admin_name_search_is_the_expression_the_index_is_on(registry):
    queryset = admin_search(Enterprise, "宏达精密")
    if connection.vendor == "postgresql":
        assert 'UPPER("liaison_enterprise"."name"::text) LIKE UPPER(' in str(queryset.query)
    assert queryset.count() == 14


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index (pg_trgm)")
def test_the_admin_name_search_uses_the_trigram_index(registry):
    assert {INDEX, CREDIT_CODE_INDEX} <= _index_names()
    index_scans_by_condition_only()
    queryset = admin_search(Enterprise, "宏达精密").order_by()
    plan = queryset.explain()
    assert INDEX in plan, plan
    # The paginator's count of the found rows is answered from it as well.
    count_plan = queryset.values("pk")[:10001].explain()
    assert INDEX in count_plan, count_plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default")
def test_on_sqlite_the_migration_leaves_no_index_and_the_search_works(registry):
    assert not {INDEX, CREDIT_CODE_INDEX} & _index_names()
    assert admin_search(Enterprise, "华兴精密").count() == 13
