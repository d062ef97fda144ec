"""Retention and purge of personal data (issue 18), on PostgreSQL with its triggers: a world of old
concluded cases and an old complaint not accepted (identities, evidence files, descriptions naming
the complainant in several spellings, messages, supplements, a rating, notes, sent e-mails),
recent concluded cases and open ones. A dry run changes nothing and counts right; the real run
removes exactly the old ones' personal data (files gone from disk too), leaves the others as they
were, changes no figure of the dashboard, /figures/, the league table or the efficiency
assessment, and a second run changes nothing more; the canaries of the purged cases are found in
no text column of the database, while the same scan still finds the kept ones."""

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from casework import services
from casework.models import Case, CaseEvent
from casework.tests import factories
from complaints.models import (
    Attachment,
    ComplainantIdentity,
    Complaint,
    Message,
    PublicStatus,
    PublicUpdate,
    Supplement,
)
from complaints.services import (
    complaint_identity_view_record,
    complaint_message_reply,
    complaint_rate,
    complaint_submit,
    complaint_supplement_add,
)
from complaints.tests import factories as complaint_factories
from complaints.uploads import prepare_uploads
from core import outbox
from core.models import OutboundEmail, PurgeRun
from core.periods import Period
from core.retention import personal_data_purge
from reports.dashboard.assessment import assessment_compute
from reports.dashboard.selectors import dashboard_report
from reports.dashboard.tables import category_rows, channel_rows, league_rows, public_lines, sections

pytestmark = pytest.mark.django_db

YEARS = 5  # RETENTION_IDENTITY_YEARS and RETENTION_EVIDENCE_YEARS in these tests


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.RETENTION_IDENTITY_YEARS = YEARS
    settings.RETENTION_EVIDENCE_YEARS = YEARS
    return tmp_path / "private"


@dataclasses.dataclass
class Person:
    """A complainant whose every value is a canary: found nowhere once purged."""

    name: str
    phone: str
    email: str
    enterprise: str

    def identity(self):
        return complaint_factories.identity(
            contact_name=self.name, phone=self.phone, email=self.email, enterprise_name=self.enterprise
        )

    def spellings(self) -> list[str]:
        """How the texts write them: the canaries searched for in the database."""
        surname, given = self.name[:2], self.name[2:]
        digits = self.phone
        wide = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        user, domain = self.email.split("@")
        return [
            self.name,
            f"{surname} {given}",
            f"{surname}·{given}",
            digits,
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
            wide,
            self.email,
            f"{user} at {domain}",
            self.enterprise,
        ]

    def description(self) -> str:
        spelled = self.spellings()
        return (
            f"我是{spelled[1]}，{spelled[0]}本人，电话{spelled[4]}（也可打{spelled[5]}），"
            f"邮箱{spelled[7]}。{self.enterprise}三个月内被同一部门重复检查五次，每次都要求停产配合。"
        )


OLD = Person("欧阳娜娜", "13987654321", "ouyang.nana@canary-old.example", "金鹰精密仪器有限公司")
OLD_MERGED = Person("司马青青", "13711112222", "sima.qq@canary-merged.example", "青松环保科技有限公司")
OLD_REFUSED = Person("诸葛亮亮", "13622223333", "zhuge.ll@canary-refused.example", "卧龙文化传媒有限公司")
RECENT = Person("上官婉儿", "13533334444", "shangguan@canary-recent.example", "婉约服饰有限公司")
OPEN = Person("东方明明", "13444445555", "dongfang@canary-open.example", "东方明珠贸易有限公司")
PURGED = (OLD, OLD_MERGED, OLD_REFUSED)
KEPT = (RECENT, OPEN)


def _file(name: str):
    return prepare_uploads([SimpleUploadedFile(name, _png(), content_type="image/png")])


def _deliver_outbox():
    # The tracking codes and notices went out long ago: delivered through the outbox's own path
    # (the test's e-mail backend is Django's in-memory one).
    for pk in OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).values_list("pk", flat=True):
        outbox.outbox_deliver(pk)


def _concluded_case(person: Person, handler, *, merged: Person | None = None) -> tuple[Case, list[Complaint]]:
    department = complaint_factories.department()
    complaint = complaint_submit(
        data=complaint_factories.complaint_data(department=department, description=person.description()),
        identity=person.identity(),
        uploads=_file(f"{person.name}的照片.png"),
    ).complaint
    case = services.complaint_accept(complaint=complaint, actor=handler)
    complaints = [complaint]
    if merged is not None:
        other = complaint_submit(
            data=complaint_factories.complaint_data(department=department, description=merged.description()),
            identity=merged.identity(),
            uploads=_file("收据.png"),
        ).complaint
        services.complaint_merge(complaint=other, case=case, actor=handler)
        complaints.append(other)
    services.case_self_handle(case=case, actor=handler)
    complaint_supplement_add(
        complaint=complaint,
        text=f"补充：{person.spellings()[2]}的手机{person.spellings()[3]}",
        uploads=_file("补充.png"),
    )
    services.case_message_send(
        case=case, text=f"{person.name}您好，请提供检查通知书。", actor=handler, complaint=complaint
    )
    complaint_message_reply(
        complaint=complaint, text=f"好的，{person.spellings()[6]}，附件是通知书", uploads=_file("通知书.png")
    )
    services.case_note_add(
        case=case, text=f"与{person.name}（{person.spellings()[4]}）通话核实", actor=handler
    )
    case = services.case_close(
        case=case,
        result_summary="经核查，确有重复检查，已责令合并检查事项。",
        actor=handler,
        finding=Case.Finding.SUBSTANTIATED,
    )
    complaint_rate(complaint=complaint, level="satisfied", comment=f"感谢，{person.spellings()[0]}很满意")
    complaint_identity_view_record(complaint=complaint, viewer=handler)
    return case, complaints


def _backdate_case(case: Case, *, years: float):
    closed = timezone.now() - dt.timedelta(days=int(365.25 * years))
    Case.objects.filter(pk=case.pk).update(opened_at=closed - dt.timedelta(days=20), closed_at=closed)


@pytest.fixture
def world(private_storage):
    handler = factories.user("handler")
    old_case, old_complaints = _concluded_case(OLD, handler, merged=OLD_MERGED)
    _backdate_case(old_case, years=YEARS + 1)

    refused = complaint_submit(
        data=complaint_factories.complaint_data(description=OLD_REFUSED.description()),
        identity=OLD_REFUSED.identity(),
        uploads=_file("证据.png"),
    ).complaint
    services.complaint_not_accept(complaint=refused, reason="不属于本中心受理范围。", actor=handler)
    PublicUpdate.objects.filter(complaint=refused).update(
        created_at=timezone.now() - dt.timedelta(days=int(365.25 * (YEARS + 2)))
    )

    recent_case, recent_complaints = _concluded_case(RECENT, handler)
    _backdate_case(recent_case, years=YEARS - 1)

    # Open for years: never purged, however old.
    department = complaint_factories.department()
    open_complaint = complaint_submit(
        data=complaint_factories.complaint_data(department=department, description=OPEN.description()),
        identity=OPEN.identity(),
        uploads=_file("现场.png"),
    ).complaint
    open_case = services.complaint_accept(complaint=open_complaint, actor=handler)
    services.case_self_handle(case=open_case, actor=handler)
    Case.objects.filter(pk=open_case.pk).update(opened_at=timezone.now() - dt.timedelta(days=365 * 8))

    _deliver_outbox()
    return {
        "handler": handler,
        "purged": [*old_complaints, refused],
        "kept": [*recent_complaints, open_complaint],
        "cases": {"old": old_case.pk, "recent": recent_case.pk, "open": open_case.pk},
    }


# --- What the database holds --------------------------------------------------------------------


def _text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public'
              AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'character')
            ORDER BY table_name, column_name
            """
        )
        return cursor.fetchall()


def _found(canary: str, columns) -> list[str]:
    """Every table.column holding ``canary`` (case-insensitive)."""
    hits = []
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608
                [f"%{canary}%"],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def _state(complaint_ids) -> dict:
    """Everything personal the world holds for these complaints, as written."""
    return {
        "identities": sorted(
            ComplainantIdentity.objects.filter(complaint_id__in=complaint_ids).values_list(
                "complaint_id", "contact_name", "phone", "email"
            )
        ),
        "complaints": sorted(
            Complaint.objects.filter(pk__in=complaint_ids).values_list(
                "pk", "description", "masked_text", "personal_data_purged_at"
            )
        ),
        "attachments": sorted(
            Attachment.objects.filter(complaint_id__in=complaint_ids).values_list("pk", "file")
        ),
        "messages": sorted(Message.objects.filter(complaint_id__in=complaint_ids).values_list("pk", "text")),
        "supplements": sorted(
            Supplement.objects.filter(complaint_id__in=complaint_ids).values_list("pk", "text")
        ),
    }


def _case_state(case_ids) -> dict:
    return {
        "cases": sorted(
            Case.objects.filter(pk__in=case_ids).values_list("pk", "title", "status", "closed_at")
        ),
        "events": sorted(CaseEvent.objects.filter(case_id__in=case_ids).values_list("pk", "action", "note")),
    }


def _without_time(figures):
    return dataclasses.replace(figures, as_of=None)


def _figures(client) -> list:
    """Every figure the dashboard computes, for the quarters of the world's cases: the quarter's
    tallies, the sections, breakdowns and league table, the public lines, the efficiency
    assessment, and the /figures/ page as served."""
    now = timezone.now()
    quarters = {Period.current(now=now)}
    for closed_at in Case.objects.exclude(closed_at=None).values_list("closed_at", flat=True):
        quarters.add(Period.containing(closed_at))
    snapshot = []
    for quarter in sorted(quarters, key=lambda period: period.start):
        report = dashboard_report(quarter)
        snapshot.append([_without_time(figures) for figures in report.chronological])
        snapshot.append(sections(report))
        snapshot.append(league_rows(report))
        snapshot.append(category_rows(report))
        snapshot.append(channel_rows(report))
        snapshot.append(public_lines(report))
        snapshot.append(repr(report.inspections))
        snapshot.append(
            [
                (
                    r.department_id,
                    r.inputs,
                    r.total,
                    r.grade,
                    r.rank,
                    [dataclasses.astuple(i) for i in r.indicators],
                )
                for r in assessment_compute(quarter, now=now)
            ]
        )
        page = client.get("/figures/", {"quarter": quarter.label})
        assert page.status_code == 200
        html = page.content.decode()
        # The page's nonce, CSRF token and the time the figures were computed change; nothing else may.
        html = re.sub(r'nonce="[^"]*"', "", html)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        html = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", "", html)
        html = re.sub(r"\d{1,2}:\d{2}", "", html)
        snapshot.append(html)
    return snapshot


def _differences(after: list, before: list) -> list:
    """The parts of two snapshots that differ (for the pages, the lines that differ)."""
    import difflib

    differences = []
    for index, (one, other) in enumerate(zip(after, before, strict=True)):
        if one == other:
            continue
        if isinstance(one, str):
            lines = [
                line
                for line in difflib.unified_diff(other.splitlines(), one.splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and line[:3] not in ("+++", "---")
            ]
            differences.append((index, lines))
        else:
            differences.append((index, one, other))
    return differences


# --- The tests --------------------------------------------------------------------------------------


def test_dry_run_changes_nothing_and_counts_what_would_go(world, capsys):
    purged_ids = [c.pk for c in world["purged"]]
    everything = [*purged_ids, *(c.pk for c in world["kept"])]
    before = (_state(everything), _case_state(world["cases"].values()))

    from django.utils import translation

    with translation.override("en"):  # the lines read below are the English ones
        call_command("purge_personal_data", "--dry-run", "--show-ids", "50")

    assert (_state(everything), _case_state(world["cases"].values())) == before
    out = capsys.readouterr().out
    lines = {line.split(" ")[0]: line for line in out.splitlines() if not line.startswith(" ")}
    assert ": 3 past " in lines["complainant_identities"]
    # Evidence: the old case's five files (two complaints, a supplement, a message) and the refused one's.
    assert ": 5 past " in lines["evidence_files"]
    old_attachments = Attachment.objects.filter(complaint_id__in=purged_ids).values_list("pk", flat=True)
    assert f"ids: {', '.join(str(pk) for pk in sorted(old_attachments))}" in out
    assert f"ids: {', '.join(str(pk) for pk in sorted(purged_ids))}" in out
    for person in (*PURGED, *KEPT):
        for canary in person.spellings():
            assert canary not in out
    run = PurgeRun.objects.get()
    assert run.dry_run and run.finished_at is not None
    assert run.counts["complainant_identities"]["records"] == 3
    assert run.counts["evidence_files"]["records"] == 5


def test_purge_removes_exactly_the_old_personal_data_and_keeps_every_figure(world, client, private_storage):
    purged_ids = [c.pk for c in world["purged"]]
    kept_ids = [c.pk for c in world["kept"]]
    kept_cases = [world["cases"]["recent"], world["cases"]["open"]]
    old_files = [
        private_storage / name
        for name in Attachment.objects.filter(complaint_id__in=purged_ids).values_list("file", flat=True)
    ]
    kept_files = [
        private_storage / name
        for name in Attachment.objects.filter(complaint_id__in=kept_ids).values_list("file", flat=True)
    ]
    assert len(old_files) == 5 and all(path.exists() for path in old_files)
    assert len(kept_files) == 4 and all(path.exists() for path in kept_files)
    kept_before = (_state(kept_ids), _case_state(kept_cases))
    old_events_before = list(
        CaseEvent.objects.filter(case_id=world["cases"]["old"]).values_list("pk", "action", "at", "actor_id")
    )
    old_case_before = (
        Case.objects.filter(pk=world["cases"]["old"])
        .values(
            "status",
            "finding",
            "closed_at",
            "opened_at",
            "department_id",
            "category",
            "channel",
            "disposition",
        )
        .get()
    )
    figures_before = _figures(client)
    columns = _text_columns()
    for person in PURGED:
        assert _found(person.name, columns), "the scan must find what is there before the purge"

    run, outcomes = personal_data_purge(dry_run=False, actor_name="test")

    counts = run.counts
    assert counts["complainant_identities"]["records"] == 3
    assert counts["complainant_identities"]["identities_deleted"] == 3
    assert counts["evidence_files"]["attachments_deleted"] == 5
    assert counts["evidence_files"]["files_deleted"] == 5
    assert not any(path.exists() for path in old_files)
    assert all(path.exists() for path in kept_files)
    assert not ComplainantIdentity.objects.filter(complaint_id__in=purged_ids).exists()
    assert Complaint.objects.filter(pk__in=purged_ids, personal_data_purged_at__isnull=False).count() == 3

    # The recent and the open ones: exactly as they were.
    assert (_state(kept_ids), _case_state(kept_cases)) == kept_before
    # The anonymised case and its timeline: every event still there, only notes redacted.
    assert Case.objects.filter(pk=world["cases"]["old"]).values(*old_case_before).get() == old_case_before
    assert (
        list(
            CaseEvent.objects.filter(case_id=world["cases"]["old"]).values_list(
                "pk", "action", "at", "actor_id"
            )
        )
        == old_events_before
    )
    old = Complaint.objects.get(pk=world["purged"][0].pk)
    assert "重复检查五次" in old.description and "〔" in old.description
    assert old.status == PublicStatus.CONCLUDED

    # Every figure as it was.
    figures_after = _figures(client)
    assert _differences(figures_after, figures_before) == []

    # The canaries of the purged complaints are nowhere; the kept ones still are (the scan works).
    for person in PURGED:
        for canary in person.spellings():
            assert _found(canary, columns) == [], canary
    for person in KEPT:
        assert _found(person.name, columns)
        assert _found(person.email, columns)

    # A second run finds nothing more and changes nothing.
    after = (_state(purged_ids + kept_ids), _case_state(world["cases"].values()))
    second, _outcomes = personal_data_purge(dry_run=False, actor_name="test")
    assert second.counts["complainant_identities"]["records"] == 0
    assert second.counts["evidence_files"]["records"] == 0
    assert (_state(purged_ids + kept_ids), _case_state(world["cases"].values())) == after
    assert _differences(_figures(client), figures_before) == []


def test_the_timeline_and_the_complaint_stay_immutable_outside_the_purge(world):
    from django.db import DatabaseError, transaction

    old_case = world["cases"]["old"]
    personal_data_purge(dry_run=False, actor_name="test")
    # The purge's flag was for its own transactions: raw SQL is refused again, notes included.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE casework_caseevent SET note = 'x' WHERE case_id = %s", [old_case])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET description = 'x' WHERE id = %s", [world["purged"][0].pk]
        )
    # Even under the flag, only the texts may change: never the timeline's facts, never a deletion.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('envopt.personal_data_purge', 'on', true)")
        cursor.execute("UPDATE casework_caseevent SET action = 'note' WHERE case_id = %s", [old_case])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('envopt.personal_data_purge', 'on', true)")
        cursor.execute("DELETE FROM casework_caseevent WHERE case_id = %s", [old_case])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('envopt.personal_data_purge', 'on', true)")
        cursor.execute(
            "UPDATE complaints_complaint SET category = 'other' WHERE id = %s", [world["purged"][0].pk]
        )


def test_a_file_already_gone_from_storage_does_not_stop_the_purge(world, private_storage):
    purged_ids = [c.pk for c in world["purged"]]
    first = Attachment.objects.filter(complaint_id__in=purged_ids).order_by("pk").first()
    Path(private_storage / first.file.name).unlink()
    run, _outcomes = personal_data_purge(dry_run=False, kinds=["evidence_files"], actor_name="test")
    assert run.counts["evidence_files"]["attachments_deleted"] == 5
    assert not Attachment.objects.filter(complaint_id__in=purged_ids).exists()


def test_the_staff_pages_of_a_purged_complaint_and_case_still_open(world, client):
    personal_data_purge(dry_run=False, actor_name="test")
    client.force_login(factories.user("intake"))  # may see who complained: nothing left to see
    complaint = world["purged"][0]
    for url in (
        f"/admin/complaints/complaint/{complaint.pk}/change/",
        f"/admin/casework/case/{world['cases']['old']}/change/",
        f"/admin/complaints/complaint/{world['purged'][-1].pk}/change/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        for person in PURGED:
            assert person.name not in body and person.email not in body
