"""Background exports: a staff member asks for a workbook, a Celery task writes it, the admin
shows its progress and then a download link that expires.

core imports no app, so it knows no workbook: each app registers its kinds of export
(``export_kinds.register(ExportKind(...))`` from its ``AppConfig.ready``) with the permission
the export needs and a writer. The writer gets an :class:`ExportRun`: the owner (the user whose
permissions and masking rules apply), the filters captured when the export was asked for, an
open binary file to write the workbook into, and ``progress(done, total)`` to call once per
batch. The task, like the outbox's, is registered with this module (``export_tasks``) by
``CoreConfig.ready`` so that the module never imports it.

Hand-written because no Django library does this: django-celery-results stores a task's return
value, not a file with an owner, a permission and an expiry, and the download must go through
the same permission check as the export itself.

Safety: the job is claimed under a row lock and gets a lease, renewed at every batch; a second
delivery of the task while the lease runs does nothing; a worker that dies leaves a lease that
passes, and the sweep runs the job again (up to ``EXPORT_MAX_ATTEMPTS``). A finished attempt
only records its file if it is still the job's current attempt, so a run overtaken by another
never overwrites it."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from kombu.exceptions import OperationalError

from core.models import ExportJob

logger = logging.getLogger(__name__)

S = ExportJob.State
EXPORT_DIRECTORY = "exports"
JOB_RECORD_DAYS = 30  # an expired or failed export's record is deleted this long after it was asked for


@dataclass(frozen=True)
class ExportKind:
    """One kind of export an app offers: who may ask for it and how its workbook is written."""

    key: str
    label: str | Promise
    permission: str
    write: Callable[[ExportRun], str]  # writes run.target, returns the download's file name


class ExportKindRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, ExportKind] = {}

    def register(self, kind: ExportKind) -> None:
        self._kinds[kind.key] = kind

    def get(self, key: str) -> ExportKind | None:
        return self._kinds.get(key)

    def permissions(self) -> set[str]:
        return {kind.permission for kind in self._kinds.values()}

    def label(self, key: str) -> str:
        kind = self._kinds.get(key)
        return str(kind.label) if kind else key


export_kinds = ExportKindRegistry()


class ExportTaskRegistry:
    """The Celery task that runs a job, set by CoreConfig.ready (as the outbox's)."""

    run: Any = None

    def register(self, *, run) -> None:
        self.run = run


export_tasks = ExportTaskRegistry()


class ExportFailed(Exception):
    """A writer's failure to show its owner as it is: the message is already translated."""


class ExportSuperseded(Exception):
    """This attempt lost its job to a newer one (its lease had passed): stop writing."""


@dataclass
class ExportRun:
    """What a writer gets: the owner, the filters, the file to write, and the progress callback."""

    job: ExportJob
    owner: Any
    filters: dict
    target: IO[bytes]
    attempt: int
    batch: int = field(default_factory=lambda: settings.EXPORT_BATCH_ROWS)

    def progress(self, done: int, total: int | None = None) -> None:
        """Record the rows written so far (and the total once known) and renew the lease."""
        values: dict[str, Any] = {"rows_done": done, "lease_until": _lease_end()}
        if total is not None:
            values["rows_total"] = total
        updated = ExportJob.objects.filter(pk=self.job.pk, state=S.RUNNING, attempts=self.attempt).update(
            **values
        )
        if not updated:
            raise ExportSuperseded


def _lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.EXPORT_LEASE_SECONDS)


def export_permitted(user, kind: ExportKind) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(kind.permission)
    )


def export_any_permitted(user) -> bool:
    """Whether the user may ask for any export at all (and so has a list of exports)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and any(user.has_perm(permission) for permission in export_kinds.permissions())
    )


def export_job_create(*, kind: str, owner, filters: dict, description: str = "") -> ExportJob:
    """Record an export for ``owner`` with the filters of the page it was asked from, and hand it
    to a worker after commit. Refuses an unknown kind or an owner without its permission."""
    export_kind = export_kinds.get(kind)
    if export_kind is None:
        raise ValidationError(gettext("There is no export called “%(kind)s”.") % {"kind": kind})
    if not export_permitted(owner, export_kind):
        raise PermissionDenied(gettext("You may not export this list."))
    job = ExportJob.objects.create(
        kind=kind,
        owner=owner,
        filters=filters,
        description=description[:300],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: export_job_dispatch(job.pk))
    return job


def export_job_dispatch(job_id: int) -> None:
    """Send the job to a worker; if the broker is down, the sweep sends it later."""
    task = export_tasks.run
    if task is None:
        logger.warning("export %s left for the sweep: no task registered", job_id)
        return
    try:
        task.apply_async((job_id,), retry=False)
    except (OperationalError, OSError) as error:
        logger.warning("export %s left for the sweep: broker unavailable (%s)", job_id, type(error).__name__)


def _claim(job_id: int) -> ExportJob | None:
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (S.DONE, S.FAILED, S.EXPIRED):
            return None
        if job.state == S.RUNNING and job.lease_until and job.lease_until > now:
            return None  # another worker holds it
        if job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            with translation.override(job.language):
                job.error = gettext(
                    "The export was interrupted %(count)s times and was given up. Ask for it again; "
                    "if it stops again, tell the administrator."
                ) % {"count": job.attempts}
            job.state, job.finished_at, job.lease_until = S.FAILED, now, None
            job.save(update_fields=["error", "state", "finished_at", "lease_until"])
            return None
        job.state, job.lease_until, job.rows_done = S.RUNNING, _lease_end(), 0
        job.attempts += 1
        job.started_at = now
        job.save(update_fields=["state", "lease_until", "rows_done", "attempts", "started_at"])
    return job


def _fail(job: ExportJob, attempt: int, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk, attempts=attempt, state=S.RUNNING).update(
        state=S.FAILED, error=message, finished_at=timezone.now(), lease_until=None
    )


def export_job_run(job_id: int) -> str:
    """Write the job's workbook to private storage; safe to run twice (see the module's doc)."""
    job = _claim(job_id)
    if job is None:
        return "nothing to do"
    attempt = job.attempts
    kind = export_kinds.get(job.kind)
    owner = job.owner
    with translation.override(job.language):
        if kind is None:
            _fail(job, attempt, gettext("This kind of export no longer exists."))
            return "failed"
        if not export_permitted(owner, kind):
            _fail(job, attempt, gettext("You no longer have the permission this export needs."))
            return "failed"
        with tempfile.TemporaryFile() as target:
            run = ExportRun(job=job, owner=owner, filters=job.filters, target=target, attempt=attempt)
            try:
                filename = kind.write(run)
            except ExportSuperseded:
                return "superseded"
            except ExportFailed as error:
                _fail(job, attempt, str(error))
                return "failed"
            except Exception as error:  # any failure is the job's, recorded for its owner
                logger.exception("export %s (%s) failed", job.pk, job.kind)
                _fail(
                    job,
                    attempt,
                    gettext(
                        "The export could not be written (%(error)s). Ask for it again; if it fails "
                        "again, tell the administrator."
                    )
                    % {"error": type(error).__name__},
                )
                return "failed"
            target.seek(0)
            name = default_storage.save(
                f"{EXPORT_DIRECTORY}/{job.pk}-{attempt}-{secrets.token_hex(8)}.xlsx", File(target)
            )
    now = timezone.now()
    finished = ExportJob.objects.filter(pk=job.pk, state=S.RUNNING, attempts=attempt).update(
        state=S.DONE,
        file=name,
        filename=filename,
        finished_at=now,
        expires_at=now + dt.timedelta(hours=settings.EXPORT_LINK_HOURS),
        lease_until=None,
    )
    if not finished:
        default_storage.delete(name)
        return "superseded"
    return "done"


def export_job_file(*, job_id: int, user) -> tuple[IO[bytes], str]:
    """The file of a finished job for its owner, who must still hold the export's permission.
    Raises ExportJob.DoesNotExist for anyone else, an unfinished or an expired job (a 404: a
    stranger learns nothing about someone else's export) and PermissionDenied when the owner
    lost the permission."""
    now = timezone.now()
    job = ExportJob.objects.get(pk=job_id, owner_id=user.pk, state=S.DONE, expires_at__gt=now)
    kind = export_kinds.get(job.kind)
    if kind is None or not export_permitted(user, kind):
        raise PermissionDenied
    try:
        return default_storage.open(job.file.name, "rb"), job.filename
    except FileNotFoundError:
        raise ExportJob.DoesNotExist from None


def export_job_sweep() -> dict:
    """Remove expired files; run again what a dead worker or a lost message left behind."""
    now = timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(state=S.DONE, expires_at__lte=now).only("pk", "file"):
        if job.file.name:
            default_storage.delete(job.file.name)
        expired += ExportJob.objects.filter(pk=job.pk, state=S.DONE).update(state=S.EXPIRED, file="")
    # Queued for longer than a lease (the broker was down, the message was lost) or running past
    # its lease (the worker died): the task claims it again, or finds another worker holds it.
    stale_queued = now - dt.timedelta(seconds=settings.EXPORT_LEASE_SECONDS)
    stuck = list(
        ExportJob.objects.filter(
            Q(state=S.QUEUED, created_at__lte=stale_queued) | Q(state=S.RUNNING, lease_until__lte=now)
        ).values_list("pk", flat=True)
    )
    for job_id in stuck:
        export_job_dispatch(job_id)
    # The record of an export (its filters may hold a search term) is kept a while after its
    # file is gone, so its owner sees what became of it, and then deleted.
    forgotten, _counts = ExportJob.objects.filter(
        state__in=[S.EXPIRED, S.FAILED], created_at__lte=now - dt.timedelta(days=JOB_RECORD_DAYS)
    ).delete()
    return {
        "expired": expired,
        "redispatched": len(stuck),
        "orphans": _orphans_delete(now),
        "forgotten": forgotten,
    }


def _orphans_delete(now: dt.datetime) -> int:
    """Files no job points at (a worker killed between writing and recording its file)."""
    try:
        _directories, names = default_storage.listdir(EXPORT_DIRECTORY)
    except FileNotFoundError:
        return 0
    kept = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    for name in names:
        path = f"{EXPORT_DIRECTORY}/{name}"
        if path in kept:
            continue
        try:
            modified = default_storage.get_modified_time(path)
        except (FileNotFoundError, NotImplementedError):
            continue
        if now - modified > dt.timedelta(seconds=settings.EXPORT_LEASE_SECONDS):
            default_storage.delete(path)
            removed += 1
    return removed
