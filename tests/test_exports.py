"""Background exports (core.exports, issue 18): the button records a job and answers at once, a
real Celery worker writes the workbook (read back with openpyxl), progress is recorded, the link
is its owner's and expires, masking follows the owner's permissions, a job a dead worker left
is run again, a failure is recorded for its owner, and the writer holds one batch at a time."""

import datetime as dt
import io
import os
import tempfile
import time
import tracemalloc

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework import services
from casework.exports import case_list_workbook_write
from casework.models import Case
from casework.selectors import case_list
from casework.tests import factories
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from core.exports import export_job_run, export_job_sweep
from core.models import ExportJob
from liaison.models import Department
from tests.fixtures import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

S = ExportJob.State
NAME, PHONE, ENTERPRISE = "欧阳守密", "13700001111", "独此一家精工有限公司"
EXPORT_URL = "admin:casework_case_export"
JOBS_URL = "admin:core_exportjob_changelist"


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _case_with_identity(*, handler, department=None) -> Case:
    complaint = complaint_submit(
        data=complaint_factories.complaint_data(
            department=department or complaint_factories.department(),
            description=f"我是{ENTERPRISE}的{NAME},电话{PHONE},执法人员每周上门检查。",
        ),
        identity=complaint_factories.identity(contact_name=NAME, phone=PHONE, enterprise_name=ENTERPRISE),
    ).complaint
    case = services.complaint_accept(complaint=complaint, actor=handler)
    # A title written with the complainant in it: the export masks it for whoever may not see them.
    Case.objects.filter(pk=case.pk).update(title=f"{NAME}反映重复检查,电话{PHONE}")
    return case


def _rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _download(client, job: ExportJob):
    return client.get(reverse("admin:core_exportjob_download", args=[job.pk]))


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """A private storage of each test's own (the workers it starts get it too): the sweep lists
    and deletes in the exports directory, which must hold nothing of another test run's."""
    location = tmp_path / "private"
    location.mkdir()
    default = {**settings.STORAGES["default"], "OPTIONS": {"location": str(location), "base_url": None}}
    settings.STORAGES = {**settings.STORAGES, "default": default}
    return location


@pytest.fixture
def people():
    return {
        "intake": factories.user("intake"),
        "handler": factories.user("handler"),
        "head": factories.user("head"),
        "leader": factories.user("leader"),
    }


def test_the_export_button_returns_at_once_with_a_queued_job(people):
    handler = people["handler"]
    for _ in range(3):
        factories.accepted_case(actor=handler)
    client = _client(handler)
    started = time.perf_counter()
    response = client.post(reverse(EXPORT_URL) + "?status__exact=accepted&q=检查")
    elapsed = time.perf_counter() - started
    assert response.status_code == 302 and response["Location"] == reverse(JOBS_URL)
    job = ExportJob.objects.get(owner=handler)
    # Nothing written in the request: no worker runs in this test, the job waits for one.
    assert job.state == S.QUEUED and not job.file and job.rows_done == 0
    assert job.kind == "casework.cases" and job.filters == {
        "query": "status__exact=accepted&q=%E6%A3%80%E6%9F%A5"
    }
    assert elapsed < 5, elapsed
    # The list of the user's exports shows it, and refreshes itself while it is under way.
    page = client.get(reverse(JOBS_URL)).content.decode()
    assert 'data-export-state="queued"' in page and 'http-equiv="refresh"' in page
    # A GET does not start an export (no side effect on a link a browser may prefetch).
    assert client.get(reverse(EXPORT_URL)).status_code == 405


def test_a_user_without_the_case_permission_cannot_start_the_case_export(people):
    staff = factories.user("intake")
    staff.groups.clear()
    response = _client(staff).post(reverse(EXPORT_URL))
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_a_real_worker_writes_the_filtered_cases_and_records_progress(
    people, worker_factory, private_storage
):
    handler = people["handler"]
    department = complaint_factories.department()
    other = Department.objects.create(name="另一区市场监管局", email="other@dept.example")
    wanted = [factories.accepted_case(actor=handler, department=department) for _ in range(9)]
    unwanted = [factories.accepted_case(actor=handler, department=other) for _ in range(3)]
    # Batches of 4: nine cases make three batches and three progress records.
    worker = worker_factory(EXPORT_BATCH_ROWS="4", PRIVATE_MEDIA_ROOT=str(private_storage))
    client = _client(handler)
    response = client.post(reverse(EXPORT_URL) + f"?department__id__exact={department.pk}")
    assert response.status_code == 302
    job = ExportJob.objects.get(owner=handler)
    wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state__in=[S.DONE, S.FAILED]).exists(),
        timeout=90,
        what=f"the worker to finish the export\n{worker.log()}",
    )
    job.refresh_from_db()
    assert job.state == S.DONE, (job.error, worker.log())
    assert job.rows_done == job.rows_total == len(wanted)
    assert job.attempts == 1 and job.expires_at > timezone.now()
    assert job.expires_at - job.finished_at == dt.timedelta(hours=settings.EXPORT_LINK_HOURS)
    rows = _rows(_content(_download(client, job)))
    header, body = rows[0], rows[1:]
    assert header[0] == "Reference"
    assert sorted(row[0] for row in body) == sorted(case.reference for case in wanted)
    assert not {case.reference for case in unwanted} & {row[0] for row in body}
    # The list shows the link and the progress, and stops refreshing.
    page = client.get(reverse(JOBS_URL)).content.decode()
    assert "data-export-download" in page and "9 / 9" in page and 'http-equiv="refresh"' not in page


def test_the_workbook_rows_equal_the_cases_the_list_shows(people):
    handler = people["handler"]
    cases = [factories.accepted_case(actor=handler) for _ in range(5)]
    client = _client(handler)
    client.post(reverse(EXPORT_URL))
    job = ExportJob.objects.get(owner=handler)
    assert export_job_run(job.pk) == "done"
    body = _rows(_content(_download(client, ExportJob.objects.get(pk=job.pk))))[1:]
    expected = {case.reference for case in case_list(viewer=handler)}
    assert {row[0] for row in body} == expected == {case.reference for case in cases}
    assert len(body) == len(expected)


def test_the_export_is_masked_for_a_user_without_the_identity_permission(people):
    case = _case_with_identity(handler=people["handler"])
    texts = {}
    for role in ("handler", "intake"):
        client = _client(people[role])
        client.post(reverse(EXPORT_URL))
        job = ExportJob.objects.get(owner=people[role])
        assert export_job_run(job.pk) == "done"
        rows = _rows(_content(_download(client, ExportJob.objects.get(pk=job.pk))))
        texts[role] = "\n".join(" ".join(str(cell) for cell in row if cell is not None) for row in rows)
        assert case.reference in texts[role]
    for secret in (NAME, PHONE):
        assert secret not in texts["handler"], secret
    assert NAME in texts["intake"] and PHONE in texts["intake"]  # the control: who may see, sees


def test_the_link_is_the_owners_only_and_expires(people):
    handler, head = people["handler"], people["head"]
    factories.accepted_case(actor=handler)
    client = _client(handler)
    client.post(reverse(EXPORT_URL))
    job = ExportJob.objects.get(owner=handler)
    assert export_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert _download(client, job).status_code == 200
    # Another member of staff, even one who may read every case, gets nothing: not theirs.
    assert _download(_client(head), job).status_code == 404
    superuser = factories.user("head")
    superuser.is_superuser = True
    superuser.save()
    assert _download(_client(superuser), job).status_code == 404
    # The owner who lost the permission the export needs: refused.
    handler.groups.clear()
    handler.user_permissions.add(Permission.objects.get(codename="view_referral"))
    assert _download(_client(handler), job).status_code == 403
    handler.groups.add(*people["head"].groups.all())
    assert _download(_client(handler), job).status_code == 200
    # An expired link: nothing, and the sweep removes the file.
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _download(_client(handler), job).status_code == 404
    name = job.file.name
    assert default_storage.exists(name)
    result = export_job_sweep()
    assert result["expired"] == 1
    job.refresh_from_db()
    assert job.state == S.EXPIRED and not job.file
    assert not default_storage.exists(name)
    page = _client(handler).get(reverse(JOBS_URL)).content.decode()
    assert "data-export-download" not in page and 'data-export-state="expired"' in page


def test_the_task_is_safe_to_run_twice(people):
    handler = people["handler"]
    factories.accepted_case(actor=handler)
    _client(handler).post(reverse(EXPORT_URL))
    job = ExportJob.objects.get(owner=handler)
    assert export_job_run(job.pk) == "done"
    first = ExportJob.objects.get(pk=job.pk)
    assert export_job_run(job.pk) == "nothing to do"
    again = ExportJob.objects.get(pk=job.pk)
    assert (again.file.name, again.attempts, again.state) == (first.file.name, 1, S.DONE)
    # A second delivery while a worker holds the lease does nothing either.
    ExportJob.objects.filter(pk=job.pk).update(
        state=S.RUNNING, lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert export_job_run(job.pk) == "nothing to do"


def test_a_job_left_running_by_a_dead_worker_is_run_again_by_the_sweep(
    people, worker_factory, private_storage
):
    """The state a SIGKILLed worker leaves (running, lease passed, no file): the beat sweep hands it
    to a real worker, which runs it again to the end."""
    handler = people["handler"]
    cases = [factories.accepted_case(actor=handler) for _ in range(4)]
    _client(handler).post(reverse(EXPORT_URL))
    job = ExportJob.objects.get(owner=handler)
    ExportJob.objects.filter(pk=job.pk).update(
        state=S.RUNNING,
        attempts=1,
        rows_done=2,
        rows_total=4,
        lease_until=timezone.now() - dt.timedelta(seconds=1),
    )
    worker = worker_factory(PRIVATE_MEDIA_ROOT=str(private_storage))
    assert export_job_sweep()["redispatched"] == 1
    wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state=S.DONE).exists(),
        timeout=90,
        what=f"the worker to run the stuck export again\n{worker.log()}",
    )
    job.refresh_from_db()
    assert job.attempts == 2 and job.rows_done == job.rows_total == len(cases)
    # Past the limit of attempts, a job is given up with a message for its owner.
    ExportJob.objects.filter(pk=job.pk).update(
        state=S.RUNNING,
        attempts=settings.EXPORT_MAX_ATTEMPTS,
        lease_until=timezone.now() - dt.timedelta(seconds=1),
    )
    assert export_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert job.state == S.FAILED and "given up" in job.error


def test_a_failure_is_recorded_with_a_message_in_the_owners_language(people):
    handler = people["handler"]
    client = _client(handler)
    client.post(reverse(EXPORT_URL) + "?no_such_field=1")
    # The list itself refuses unknown filters: no job is made from them.
    assert not ExportJob.objects.exists()
    client.post(reverse(EXPORT_URL))
    job = ExportJob.objects.get(owner=handler)
    assert job.language == "en"
    # The filters stopped being valid between the button and the worker (a list filter changed).
    ExportJob.objects.filter(pk=job.pk).update(filters={"query": "no_such_field=1"})
    assert export_job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == S.FAILED and job.error == "The filters of this export are no longer valid."
    page = client.get(reverse(JOBS_URL)).content.decode()
    assert "The filters of this export are no longer valid." in page
    assert _download(client, job).status_code == 404


def test_the_writer_holds_one_batch_at_a_time():
    """Memory does not grow with the number of cases: the peak of Python allocations while 3,000
    cases are written in batches of 100 stays near the peak for 300 (openpyxl's write-only sheet
    writes each row out as it is appended, with its strings inline)."""
    department = Department.objects.create(name="测试区市场监管局", email="t@dept.example")
    viewer = factories.user("handler")
    now = timezone.now()

    def peak(count: int) -> tuple[int, int]:
        Case.objects.all().delete()
        Case.objects.bulk_create(
            Case(
                title=f"重复检查问题第{index}号,企业反映执法人员多次上门要求停产配合检查,影响生产经营。" * 2,
                category="inspections",
                department=department,
                opened_at=now - dt.timedelta(minutes=index),
            )
            for index in range(count)
        )
        seen = []
        with tempfile.TemporaryFile() as target:
            tracemalloc.start()
            rows = case_list_workbook_write(
                case_list(viewer=viewer),
                target=target,
                progress=lambda done, total: seen.append(done),
                batch=100,
            )
            _current, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert rows == count and seen[-1] == count and len(seen) == count // 100 + 1
        return top, rows

    small, _ = peak(300)
    large, _ = peak(3000)
    assert large < small * 1.5, (small, large)


def test_the_sweep_removes_orphan_files_and_forgets_old_records(people, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage as storage

    handler = people["handler"]
    orphan = storage.save("exports/orphan.xlsx", ContentFile(b"left by a killed worker"))
    fresh = storage.save("exports/fresh.xlsx", ContentFile(b"being recorded right now"))
    old = time.time() - settings.EXPORT_LEASE_SECONDS - 60
    os.utime(storage.path(orphan), (old, old))
    now = timezone.now()
    forgotten = ExportJob.objects.create(
        kind="casework.cases", owner=handler, state=S.EXPIRED, created_at=now - dt.timedelta(days=31)
    )
    kept = ExportJob.objects.create(
        kind="casework.cases", owner=handler, state=S.FAILED, created_at=now - dt.timedelta(days=2)
    )
    result = export_job_sweep()
    assert result["orphans"] == 1 and result["forgotten"] == 1
    assert not storage.exists(orphan) and storage.exists(fresh)
    assert not ExportJob.objects.filter(pk=forgotten.pk).exists()
    assert ExportJob.objects.filter(pk=kept.pk).exists()
