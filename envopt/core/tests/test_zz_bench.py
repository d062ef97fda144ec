import datetime as dt, time, pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection


def vacuum():
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE core_deadline")


@pytest.mark.django_db(transaction=True)
def test_bench():
    from envopt.core.calendar import add_working_days, end_of_day
    from envopt.core.models import CalendarDay, Deadline, DeadlineChange
    from envopt.core.deadlines import deadlines_recompute, deadline_listeners
    from django.core.management import call_command
    import io
    call_command("calendar_load", stdout=io.StringIO())
    got = []
    for kind in ("referral", "recommendation", "bench"):
        deadline_listeners._listeners[kind] = [lambda changes, reason: got.append(len(changes))]
    g = Group.objects.create(name="x")
    ct = ContentType.objects.get_for_model(Group)
    cache = {}
    rows = []
    for i in range(70000):
        start = dt.date(2026, 6, 1) + dt.timedelta(days=i % 150)
        n = 5 + i % 26
        r = cache.get((start, n)) or cache.setdefault((start, n), add_working_days(start, n))
        rows.append(Deadline(kind=("referral", "recommendation", "bench")[i % 3], content_type=ct, object_id=i + 1,
                             start_date=start, working_days=n, due_date=r.due_date, due_at=end_of_day(r.due_date),
                             skipped=r.skipped_json(), fallback=r.fallback))
    Deadline.objects.bulk_create(rows, batch_size=5000)
    vacuum()
    t = time.perf_counter(); n0 = deadlines_recompute(reason="noop"); t0 = time.perf_counter() - t
    CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).delete()  # make-up Saturday gone
    CalendarDay.objects.create(date=dt.date(2026, 9, 1), is_working_day=False, name="bench")
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as q1:
        t = time.perf_counter(); n1 = deadlines_recompute(reason="bench"); t1 = time.perf_counter() - t
    for x in q1.captured_queries: print("E", x["time"], x["sql"][:60])
    vacuum()
    Deadline.objects.update(due_date=dt.date(2020, 1, 1))  # every row stale
    vacuum()
    from django.test.utils import CaptureQueriesContext
    import cProfile, pstats
    pr = cProfile.Profile()
    def explain(execute, sql, params, many, context):
        if sql.startswith(("UPDATE", "INSERT")):
            cur = context["cursor"]
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, params)
            print("\n".join(r[0] for r in cur.fetchall()))
            return None
        return execute(sql, params, many, context)
    with CaptureQueriesContext(connection) as q:

        t = time.perf_counter(); n2 = deadlines_recompute(reason="all"); t2 = time.perf_counter() - t



    for x in q.captured_queries: print("Q", x["time"], x["sql"][:100])
    print(f"\nBENCH {Deadline.objects.count()} open: noop {n0} moved in {t0:.2f}s; edit {n1} moved in {t1:.2f}s; "
          f"all {n2} moved in {t2:.2f}s; listener batches {got}; changes {DeadlineChange.objects.count()}")
    for kind in ("referral", "recommendation", "bench"):
        deadline_listeners._listeners.pop(kind, None)
