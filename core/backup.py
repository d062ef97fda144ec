"""Backups of the database and the evidence files in one archive, and their restore.

One archive, ``envopt-backup-<UTC time>.tar``, holds

- ``database.dump``: ``pg_dump --format=custom`` of the whole database;
- ``media/<path>``: every file under PRIVATE_MEDIA_ROOT (the evidence);
- ``manifest.json``: when, the row count of every table, the size and SHA-256 of the dump and of
  every file, and the stored file names (FileField values) that had no file on disk.

Consistency: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot()``);
pg_dump dumps exactly that snapshot (``--snapshot``) and the manifest's counts and file names are
read in the same transaction, so they describe the dump exactly. The evidence files are listed
after the snapshot was taken: a file is written before the transaction that records it commits,
and is never changed afterwards (write-once), so every file a row of the dump names is already
on disk when the files are listed. A file written after the snapshot is in the archive without
a row (harmless); one deleted after it (a purge) is named in the manifest as missing.

Restore refuses a database that holds any table, and a media directory that holds any file,
unless told (``force``); it checks every checksum before writing anything and compares the
restored tables' row counts with the manifest afterwards.

Hand-written: django-dbbackup dumps the database and the media separately (two archives, no
common snapshot), restores only into a database named in settings and overwrites it, and keeps
no row counts to check a restore against; pg_dump and pg_restore do the database work here.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess  # noqa: S404 - pg_dump and pg_restore, with argument lists, never a shell
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import dj_database_url
import psycopg2
from django.apps import apps
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2 import sql

FORMAT = "envopt-backup/1"
ARCHIVE_PREFIX = "envopt-backup-"
ARCHIVE_SUFFIX = ".tar"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (translated)."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict


@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int
    mismatched_tables: dict[str, tuple[int, int]] = field(default_factory=dict)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq_env(db: dict) -> dict[str, str]:
    """The connection as libpq's environment variables: no password on a command line."""
    env = dict(os.environ)
    pairs = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
        "PGSSLMODE": (db.get("OPTIONS") or {}).get("sslmode"),
    }
    for key, value in pairs.items():
        env.pop(key, None)
        if value not in (None, ""):
            env[key] = str(value)
    return env


def _tables_counted(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "AND schemaname NOT LIKE 'pg\\_%%' ORDER BY 1, 2"
    )
    counts = {}
    for schema, table in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def _stored_file_names(using: str) -> set[str]:
    """Every FileField value of every model (read in the caller's snapshot)."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                values = (
                    model._default_manager.using(using)
                    .exclude(**{model_field.attname: ""})
                    .exclude(**{f"{model_field.attname}__isnull": True})
                    .values_list(model_field.attname, flat=True)
                )
                names.update(values.iterator())
    return names


def _media_files(media_root: Path) -> list[Path]:
    if not media_root.exists():
        return []
    return sorted(path for path in media_root.rglob("*") if path.is_file() and not path.is_symlink())


def backup_create(*, directory: Path, media_root: Path, using: str = "default", now=None) -> BackupResult:
    """Write one archive of the database and the evidence files into ``directory``."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise BackupError(
            _("Backups need PostgreSQL (DATABASE_URL=postgres://…); this database is %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(_("pg_dump was not found: install PostgreSQL's client programs."))
    directory.mkdir(parents=True, exist_ok=True)
    moment = (now or timezone.now()).astimezone(dt.UTC)
    name = f"{ARCHIVE_PREFIX}{moment:%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"
    final = directory / name
    if final.exists():
        raise BackupError(_("%(path)s exists already.") % {"path": final})
    partial = directory / f".{name}.partial"
    env = _libpq_env(connection.settings_dict)

    with tempfile.TemporaryDirectory(prefix="envopt-backup-", dir=directory) as staging:
        dump_path = Path(staging) / DUMP
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            # pg_dump reads the exported snapshot while this transaction holds it open.
            result = subprocess.run(  # noqa: S603
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump_path}"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})
            tables = _tables_counted(cursor)
            stored = _stored_file_names(using)
            # After the snapshot: every file a dumped row names is on disk (see the docstring).
            files = _media_files(media_root)

        manifest = {
            "format": FORMAT,
            "created_at": moment.isoformat(),
            "database": {
                "name": connection.settings_dict.get("NAME"),
                "server_version": server_version,
                "dump": DUMP,
                "size": dump_path.stat().st_size,
                "sha256": _sha256_file(dump_path),
            },
            "tables": tables,
            "files": {},
            "stored_files_missing": [],
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            tar.add(dump_path, arcname=DUMP)
            for path in files:
                relative = path.relative_to(media_root).as_posix()
                try:
                    checksum = _sha256_file(path)
                    tar.add(path, arcname=f"{MEDIA}/{relative}")
                except FileNotFoundError:  # removed (a purge) while we were copying
                    continue
                manifest["files"][relative] = {"size": path.stat().st_size, "sha256": checksum}
            manifest["stored_files_missing"] = sorted(stored - set(manifest["files"]))
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(moment.timestamp())
            info.mode = 0o600
            tar.addfile(info, fileobj=_BytesReader(body))
            raw.flush()
            os.fsync(raw.fileno())
    os.replace(partial, final)
    return BackupResult(path=final, manifest=manifest)


class _BytesReader:
    def __init__(self, data: bytes):
        self._data = data
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def backup_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``directory``; return what went."""
    archives = sorted(directory.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"))
    gone = archives[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink()
    return gone


def _manifest_read(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError(_("The archive has no manifest.json: it is not an envopt backup.")) from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(_("Unknown backup format %(format)s.") % {"format": manifest.get("format")})
    return manifest


def _member_copy(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Copy one archive member to ``target`` and return its SHA-256."""
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _media_members(tar: tarfile.TarFile, manifest: dict) -> dict[str, tarfile.TarInfo]:
    members = {}
    for member in tar.getmembers():
        if not member.name.startswith(f"{MEDIA}/"):
            continue
        relative = PurePosixPath(member.name).relative_to(MEDIA)
        if not member.isfile() or relative.is_absolute() or ".." in relative.parts:
            raise BackupError(_("The archive holds an unsafe entry: %(name)s.") % {"name": member.name})
        members[relative.as_posix()] = member
    if set(members) != set(manifest["files"]):
        raise BackupError(_("The archive's files do not match its manifest."))
    return members


def backup_check(*, archive: Path) -> dict:
    """Check every checksum of ``archive`` against its manifest; return the manifest."""
    with tarfile.open(archive, mode="r:") as tar, tempfile.TemporaryDirectory() as scratch:
        manifest = _manifest_read(tar)
        if _member_copy(tar, tar.getmember(DUMP), Path(scratch) / DUMP) != manifest["database"]["sha256"]:
            raise BackupError(_("The database dump does not match its checksum."))
        for relative, member in _media_members(tar, manifest).items():
            digest = hashlib.sha256()
            source = tar.extractfile(member)
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != manifest["files"][relative]["sha256"]:
                raise BackupError(_("The file %(name)s does not match its checksum.") % {"name": relative})
    return manifest


def _connect(db: dict):
    return psycopg2.connect(
        dbname=db.get("NAME"),
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        sslmode=(db.get("OPTIONS") or {}).get("sslmode"),
    )


def _target_tables(db: dict) -> dict[str, int]:
    try:
        conn = _connect(db)
    except psycopg2.OperationalError as exc:
        raise BackupError(
            _("Cannot connect to the target database (create it first with createdb): %(error)s")
            % {"error": str(exc).strip()}
        ) from exc
    try:
        with conn, conn.cursor() as cursor:
            return _tables_counted(cursor)
    finally:
        conn.close()


def backup_restore(
    *, archive: Path, database_url: str, media_root: Path, force: bool = False
) -> RestoreResult:
    """Restore ``archive`` into the (new, empty) database at ``database_url`` and ``media_root``."""
    db = dj_database_url.parse(database_url)
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError(_("Restore needs a PostgreSQL database URL (postgres://…)."))
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError(_("pg_restore was not found: install PostgreSQL's client programs."))
    manifest = backup_check(archive=archive)
    existing = _target_tables(db)
    if existing and not force:
        raise BackupError(
            _(
                "The database %(name)s is not empty (%(count)d tables): restore into a new database, "
                "or pass --force to replace what the archive holds."
            )
            % {"name": db["NAME"], "count": len(existing)}
        )
    if media_root.exists() and any(path.is_file() for path in media_root.rglob("*")) and not force:
        raise BackupError(
            _("The directory %(path)s is not empty: restore into a new one, or pass --force.")
            % {"path": media_root}
        )

    with tarfile.open(archive, mode="r:") as tar, tempfile.TemporaryDirectory() as scratch:
        dump_path = Path(scratch) / DUMP
        _member_copy(tar, tar.getmember(DUMP), dump_path)
        command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if existing:
            command += ["--clean", "--if-exists"]
        result = subprocess.run(  # noqa: S603
            [*command, f"--dbname={db['NAME']}", str(dump_path)],
            env=_libpq_env(db),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(_("pg_restore failed: %(error)s") % {"error": result.stderr.strip()})

        media_root.mkdir(parents=True, exist_ok=True)
        root = media_root.resolve()
        members = _media_members(tar, manifest)
        for relative, member in members.items():
            target = (root / relative).resolve()
            if root not in target.parents:
                raise BackupError(_("The archive holds an unsafe entry: %(name)s.") % {"name": member.name})
            target.parent.mkdir(parents=True, exist_ok=True)
            if _member_copy(tar, member, target) != manifest["files"][relative]["sha256"]:
                raise BackupError(_("The file %(name)s does not match its checksum.") % {"name": relative})

    restored = _target_tables(db)
    mismatched = {
        table: (count, restored.get(table, -1))
        for table, count in manifest["tables"].items()
        if restored.get(table) != count
    }
    return RestoreResult(
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(members),
        mismatched_tables=mismatched,
    )
