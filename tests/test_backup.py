"""manage.py backup and restore on the real PostgreSQL: cases with evidence files are backed up,
restored into a new database and a new media directory, and compared table by table, row by row
(a sample) and file by file; a restore refuses a target that is not empty."""

import datetime as dt
import hashlib
import io
import tarfile
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from psycopg2 import sql

from casework.services import complaint_accept
from casework.tests.factories import user
from complaints.models import Attachment, Complaint
from complaints.services import complaint_submit
from complaints.tests.factories import complaint_data, identity
from complaints.tests.test_uploads import make_pdf, make_png, upload
from complaints.uploads import prepare_uploads
from core.backup import BackupError, backup_check, backup_create
from tests.fixtures import database_url_for_subprocess

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _admin_connection():
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"],
        port=s["PORT"] or None,
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def new_database():
    """Make empty databases on the test server; drop them afterwards. Yields a maker of URLs."""
    assert connection.vendor == "postgresql", "backups are of PostgreSQL: run with DATABASE_URL=postgres://…"
    made: list[str] = []
    source_url = database_url_for_subprocess()

    def make() -> tuple[str, str]:
        name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        conn = _admin_connection()
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.close()
        made.append(name)
        return name, source_url.rsplit("/", 1)[0] + "/" + name

    yield make
    conn = _admin_connection()
    with conn.cursor() as cursor:
        for name in made:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture(autouse=True)
def _english():
    """The refusals are matched by their English text."""
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


def _cases_with_evidence(count: int = 4) -> None:
    staff = user("intake", username="backup-officer")
    for n in range(count):
        files = [upload(f"photo{n}.png", make_png(comment=f"site {n}")), upload(f"notice{n}.pdf", make_pdf())]
        submitted = complaint_submit(
            data=complaint_data(description=f"第{n}次被重复检查,要求停产配合,影响生产经营。"),
            identity=identity(contact_name=f"张{n}"),
            uploads=prepare_uploads(files),
        )
        if n % 2 == 0:
            complaint_accept(complaint=submitted.complaint, actor=staff)
    assert Attachment.objects.count() == 2 * count


def _counts(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )
    result = {}
    for schema, table in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        result[f"{schema}.{table}"] = cursor.fetchone()[0]
    return result


def _sample(cursor, table: str) -> list[str]:
    """Up to 25 whole rows as PostgreSQL's own text of them (the same on both connections)."""
    schema, name = table.split(".")
    cursor.execute(
        sql.SQL("SELECT t::text FROM {}.{} AS t ORDER BY 1 LIMIT 25").format(
            sql.Identifier(schema), sql.Identifier(name)
        )
    )
    return [row[0] for row in cursor.fetchall()]


def _checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def _backup(tmp_path) -> Path:
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    (archive,) = (tmp_path / "backups").glob("envopt-backup-*.tar")
    assert str(archive) in out.getvalue()
    return archive


def test_backup_then_restore_into_a_new_database_gives_the_same_tables_rows_and_files(
    media, tmp_path, new_database
):
    _cases_with_evidence()
    archive = _backup(tmp_path)
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds identities: only its owner may read it"

    manifest = backup_check(archive=archive)
    with connection.cursor() as cursor:
        source_counts = _counts(cursor)
    assert manifest["tables"] == source_counts
    assert manifest["stored_files_missing"] == []
    assert manifest["tables"]["public.complaints_complaint"] == 4
    assert len(manifest["files"]) == 8 == len(_checksums(media))

    name, url = new_database()
    restored_media = tmp_path / "restored-private"
    out = io.StringIO()
    call_command("restore", str(archive), database_url=url, media_root=str(restored_media), stdout=out)
    assert "8 files" in out.getvalue()

    target = psycopg2.connect(url)
    try:
        with target.cursor() as t_cursor, connection.cursor() as s_cursor:
            assert _counts(t_cursor) == source_counts
            non_empty = [table for table, rows in source_counts.items() if rows]
            assert "public.complaints_attachment" in non_empty and "public.casework_case" in non_empty
            for table in non_empty:
                assert _sample(t_cursor, table) == _sample(s_cursor, table), table
            # Sequences too: the next case gets a new id, not one already taken.
            t_cursor.execute("SELECT nextval(pg_get_serial_sequence('complaints_complaint', 'id'))")
            assert t_cursor.fetchone()[0] > Complaint.objects.order_by("-id").first().id
    finally:
        target.close()

    assert _checksums(restored_media) == _checksums(media)
    for attachment in Attachment.objects.all():
        stored = restored_media / attachment.file.name
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == attachment.sha256


def test_restore_refuses_a_database_or_a_directory_that_is_not_empty(media, tmp_path, new_database):
    _cases_with_evidence(count=1)
    archive = _backup(tmp_path)

    _name, url = new_database()
    call_command(
        "restore", str(archive), database_url=url, media_root=str(tmp_path / "first"), stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), database_url=url, media_root=str(tmp_path / "second"))
    assert not (tmp_path / "second").exists(), "nothing is written before the refusal"

    _name, empty_url = new_database()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), database_url=empty_url, media_root=str(tmp_path / "first"))
    empty = psycopg2.connect(empty_url)
    try:
        with empty.cursor() as cursor:
            assert _counts(cursor) == {}, "the refused restore wrote no table"
    finally:
        empty.close()

    # Told to, it replaces what the archive holds.
    call_command(
        "restore",
        str(archive),
        database_url=url,
        media_root=str(tmp_path / "first"),
        force=True,
        stdout=io.StringIO(),
    )


def test_a_damaged_archive_is_found_before_anything_is_restored(media, tmp_path, new_database):
    _cases_with_evidence(count=1)
    archive = _backup(tmp_path)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/") and member.name.endswith(".png"):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            copy.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="checksum"):
        backup_check(archive=damaged)

    _name, url = new_database()
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(damaged), database_url=url, media_root=str(tmp_path / "restored"))
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(damaged), check=True)


def test_backup_keeps_the_newest_archives_it_is_told_to(media, tmp_path):
    directory = tmp_path / "backups"
    for day in (1, 2, 3):
        backup_create(
            directory=directory, media_root=media, now=dt.datetime(2026, 12, day, 2, 0, tzinfo=dt.UTC)
        )
    call_command("backup", str(directory), keep=2, stdout=io.StringIO())
    names = sorted(path.name for path in directory.glob("envopt-backup-*.tar"))
    assert len(names) == 2 and "envopt-backup-20261201T020000Z.tar" not in names


def test_a_backup_taken_while_complaints_with_evidence_arrive_is_consistent(media, tmp_path, new_database):
    """Complaints with files are filed in another thread all through the backup: the manifest's counts
    are the dump's (the restore compares them), and every file a dumped row names is in the archive."""
    import threading

    from django.db import connections

    _cases_with_evidence(count=1)
    stop = threading.Event()
    filed: list[int] = []
    errors: list[BaseException] = []

    def file_complaints():
        try:
            while not stop.is_set():
                complaint_submit(
                    data=complaint_data(description="备份期间提交的投诉,反映重复检查影响经营。"),
                    identity=identity(),
                    uploads=prepare_uploads([upload("during.png", make_png(comment=str(len(filed))))]),
                )
                filed.append(1)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=file_complaints)
    writer.start()
    try:
        deadline = dt.datetime.now() + dt.timedelta(seconds=30)
        while len(filed) < 3 and dt.datetime.now() < deadline:
            threading.Event().wait(0.05)
        during_before = len(filed)
        archive = _backup(tmp_path)
        during_after = len(filed)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not errors, errors
    assert during_after > during_before, "no complaint was filed while the backup ran"

    manifest = backup_check(archive=archive)
    assert manifest["stored_files_missing"] == []
    complaints = manifest["tables"]["public.complaints_complaint"]
    attachments = manifest["tables"]["public.complaints_attachment"]
    assert 1 + during_before <= complaints < Complaint.objects.count()
    assert attachments == 2 + (complaints - 1)

    _name, url = new_database()
    call_command(
        "restore", str(archive), database_url=url, media_root=str(tmp_path / "r"), stdout=io.StringIO()
    )
    target = psycopg2.connect(url)
    try:
        with target.cursor() as cursor:
            cursor.execute("SELECT file FROM complaints_attachment")
            names = [row[0] for row in cursor.fetchall()]
    finally:
        target.close()
    assert len(names) == attachments
    assert all((tmp_path / "r" / name).is_file() for name in names)
