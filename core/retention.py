"""Retention and purge of personal data (PIPL: personal information is kept no longer than needed).

Each app that holds personal data registers its *kinds* here from ``AppConfig.ready()`` — what a
kind is, the setting that says how long it is kept, a safe minimum, how to find the records past
their time and how to purge a batch of them. core knows none of the apps: the purge service
walks the registry, runs each kind in batches (one transaction each, set-based SQL where the
work allows) and records what it did in a ``PurgeRun``.

Hand-written: no Django library purges by domain rules (a case closed N years ago, a campaign
closed N days ago) while keeping the anonymised record and every figure; django-axes' own
``axes_reset_logs`` covers only its tables, which this module purges with the same filter.

A period of 0 means "keep this kind": the kind is skipped. A purge refuses to run with a period
below the kind's safe minimum unless forced (a typo in an environment variable must not wipe
identities still needed for cases being handled).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import PurgeRun

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 10_000
# The PostgreSQL setting the content triggers read: while it is on in a transaction, the texts of
# a filed complaint and the notes of the timeline may be redacted (nothing else, never deleted).
PURGE_FLAG = "envopt.personal_data_purge"


@dataclass(frozen=True)
class RetentionKind:
    """One kind of personal data: ``candidates(cutoff)`` returns the ids past their time (a
    queryset of ids or a list, oldest first is not required); ``purge(ids, now)`` purges one
    batch of them inside the caller's transaction and returns what it removed, as counts by
    name (for the record), and may return storage names to delete after commit under
    ``"_files"``."""

    name: str
    label: str
    setting: str
    unit: str  # "years" or "days"
    minimum: int
    candidates: Callable[[dt.datetime], Iterable[int]]
    purge: Callable[[list[int], dt.datetime], dict]
    order: int = 100

    def period(self) -> int:
        return int(getattr(settings, self.setting))

    def cutoff(self, now: dt.datetime) -> dt.datetime | None:
        period = self.period()
        if period <= 0:
            return None
        if self.unit == "years":
            try:
                return now.replace(year=now.year - period)
            except ValueError:  # 29 February
                return now.replace(year=now.year - period, day=28)
        return now - dt.timedelta(days=period)


def rows_deleted_when_old(model, date_field: str):
    """``candidates`` and ``purge`` for a kind whose rows simply go once ``date_field`` is past the
    cutoff (records of logins, of looks at identities): the ids, then a delete of a batch."""

    def candidates(cutoff: dt.datetime):
        return model.objects.filter(**{f"{date_field}__lt": cutoff}).values_list("pk", flat=True).order_by()

    def purge(ids: list[int], now: dt.datetime) -> dict:
        deleted, _per_model = model.objects.filter(pk__in=ids).delete()
        return {"deleted": deleted}

    return candidates, purge


class RetentionRegistry:
    """Apps register their kinds in AppConfig.ready(); core never imports them."""

    def __init__(self) -> None:
        self._kinds: dict[str, RetentionKind] = {}

    def register(self, kind: RetentionKind) -> RetentionKind:
        self._kinds[kind.name] = kind
        return kind

    def unregister(self, name: str) -> None:
        self._kinds.pop(name, None)

    def get(self, name: str) -> RetentionKind:
        return self._kinds[name]

    def names(self) -> list[str]:
        return [kind.name for kind in self.all()]

    def all(self) -> list[RetentionKind]:
        return sorted(self._kinds.values(), key=lambda kind: (kind.order, kind.name))


retention_kinds = RetentionRegistry()


@dataclass
class KindOutcome:
    name: str
    period: int
    unit: str
    cutoff: dt.datetime | None
    ids: list[int] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.ids)


def retention_settings_check(kinds: Iterable[RetentionKind]) -> list[str]:
    """The translated problems with the retention settings: a negative period, or one below the
    kind's safe minimum (0 keeps the kind and is always allowed)."""
    problems = []
    for kind in kinds:
        try:
            period = kind.period()
        except (TypeError, ValueError):
            problems.append(_("%(setting)s must be a whole number.") % {"setting": kind.setting})
            continue
        if period < 0:
            problems.append(
                _("%(setting)s must be 0 (keep) or a positive number, not %(value)s.")
                % {"setting": kind.setting, "value": period}
            )
        elif 0 < period < kind.minimum:
            problems.append(
                _(
                    "%(setting)s is %(value)s, below the safe minimum of %(minimum)s %(unit)s: "
                    "set it higher, or force the purge if this is really meant."
                )
                % {
                    "setting": kind.setting,
                    "value": period,
                    "minimum": kind.minimum,
                    "unit": _("years") if kind.unit == "years" else _("days"),
                }
            )
    return problems


def _purge_flag(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_FLAG, value])


def _files_delete(names: list[str]) -> int:
    from django.core.files.storage import default_storage

    deleted = 0
    for name in names:
        try:
            default_storage.delete(name)
            deleted += 1
        except OSError:
            # The row is gone; the file is left for an operator (the log names the file only).
            logger.exception("purge could not delete stored file %s", name)
    return deleted


def personal_data_purge(
    *,
    dry_run: bool,
    kinds: Iterable[str] | None = None,
    actor=None,
    actor_name: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    force: bool = False,
    now: dt.datetime | None = None,
) -> tuple[PurgeRun, list[KindOutcome]]:
    """Find (and unless ``dry_run`` purge) the personal data kept past its retention period,
    kind by kind, in batches of ``batch_size``; record the run. Safe to run twice: a purged
    record is no longer a candidate."""
    selected = retention_kinds.all()
    if kinds:
        unknown = sorted(set(kinds) - set(retention_kinds.names()))
        if unknown:
            raise ValidationError(
                _("Unknown kind of personal data: %(kinds)s. Known kinds: %(known)s.")
                % {"kinds": ", ".join(unknown), "known": ", ".join(retention_kinds.names())},
                code="unknown_kind",
            )
        selected = [kind for kind in selected if kind.name in set(kinds)]
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValidationError(
            _("The batch size must be between 1 and %(max)s.") % {"max": MAX_BATCH_SIZE}, code="batch_size"
        )
    problems = retention_settings_check(selected)
    if problems and not force:
        raise ValidationError(problems, code="retention_below_minimum")

    now = now or timezone.now()
    run = PurgeRun.objects.create(
        dry_run=dry_run,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor_name[:150],
        forced=force and bool(problems),
    )
    outcomes = []
    for kind in selected:
        cutoff = kind.cutoff(now)
        outcome = KindOutcome(name=kind.name, period=kind.period(), unit=kind.unit, cutoff=cutoff)
        outcomes.append(outcome)
        if cutoff is None:
            continue
        outcome.ids = sorted(set(kind.candidates(cutoff)))
        if dry_run:
            continue
        for start in range(0, len(outcome.ids), batch_size):
            batch = outcome.ids[start : start + batch_size]
            with transaction.atomic():
                _purge_flag("on")
                removed = kind.purge(batch, now)
                _purge_flag("off")
            files = removed.pop("_files", [])
            if files:
                # After the rows are gone (committed): a failed commit never leaves rows without files.
                removed["files_deleted"] = removed.get("files_deleted", 0) + _files_delete(files)
            for key, value in removed.items():
                outcome.removed[key] = outcome.removed.get(key, 0) + value
        logger.info("purge %s: %s records past %s", kind.name, outcome.count, cutoff.date())

    run.finished_at = timezone.now()
    run.counts = {
        outcome.name: {
            "period": outcome.period,
            "unit": outcome.unit,
            "cutoff": outcome.cutoff.isoformat() if outcome.cutoff else None,
            "records": outcome.count,
            **outcome.removed,
        }
        for outcome in outcomes
    }
    run.save(update_fields=["finished_at", "counts"])
    return run, outcomes
