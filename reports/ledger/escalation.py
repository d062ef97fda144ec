"""The escalation ladder for the work ledger's tasks: the person responsible reminded, the
office head warned, the commission's supervising leader told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.deadlines import deadline_listeners
from core.ladder import LadderItem, Notice, Recipient, Step, ladder_registry
from liaison.leading_group import leading_group_recipient
from liaison.models import Office
from reports.ledger.services import ledger_deadlines_recomputed
from reports.models import LEDGER_DEADLINE_KIND, LedgerTask


class LedgerTaskLadder:
    """A ledger task that runs late: the responsible person is reminded (or the office, when no
    address of theirs is on file), the office head warned (or the office), the leading group's
    head and deputies told (``liaison.leading_group``; ``LADDER_CENTRE_LEADER_EMAIL`` while none
    is on file; neither, the outbox row fails and staff see it). In the site's language: these
    are the commission's own staff.

    ``record`` writes nothing: the deadline's ``ladder_step`` is the record (the ledger shows it
    as the task's escalation) and the digest is in the outbox. A note of the system's among the
    progress notes would read as progress and hide a task that nobody is moving."""

    kind = LEDGER_DEADLINE_KIND

    def _tasks(self, items: Sequence[LadderItem]) -> dict[int, LedgerTask]:
        return LedgerTask.objects.select_related("office__head", "responsible").in_bulk(
            {item.object_id for item in items}
        )

    def _office_recipient(self, office: Office | None, *, name: str, note: str) -> Recipient:
        language = settings.LANGUAGE_CODE
        if office is None:
            return Recipient(
                to=(),
                name=_("the complaint centre"),
                language=language,
                note=_("The ledger task has no office: assign one in the work ledger."),
            )
        if not office.email:
            note = _("No e-mail address is on file for %(office)s: add it in the directory.") % {
                "office": office
            }
        return Recipient(to=_addresses(office.email), name=name, language=language, note=note)

    def recipient(self, task: LedgerTask, step: int) -> Recipient:
        language = settings.LANGUAGE_CODE
        office = task.office
        with translation.override(language):
            if step == Step.REMIND:
                person = task.responsible
                if person is not None and person.email:
                    return Recipient(
                        to=(person.email,), name=person.get_full_name() or person.username, language=language
                    )
                return self._office_recipient(
                    office,
                    name=str(office) if office else "",
                    note=_(
                        "No e-mail address of the person responsible is on file, so this reminder was sent "
                        "to the office. Please pass it on."
                    ),
                )
            if step == Step.WARN:
                head = office.head if office else None
                if head is not None and head.email:
                    return Recipient(
                        to=(head.email,),
                        name=_("%(name)s, head of %(office)s")
                        % {"name": head.get_full_name() or head.username, "office": office},
                        language=language,
                    )
                return self._office_recipient(
                    office,
                    name=_("%(office)s (for the office head)") % {"office": office},
                    note=_(
                        "No e-mail address of the head of %(office)s is on file, so this warning was sent "
                        "to the office's own address. Please pass it on to the office head."
                    )
                    % {"office": office},
                )
            # The leading group's head and deputies; the setting while none is on file.
            return leading_group_recipient(language=language)

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        tasks = self._tasks(items)
        notices = []
        for item in items:
            task = tasks.get(item.object_id)
            if task is None or not task.is_open:
                continue  # the sweep logs an item nobody was told about
            recipient = self.recipient(task, item.step)
            with translation.override(recipient.language):
                what = _("work ledger task: %(title)s") % {"title": Truncator(task.title).chars(60)}
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=task.reference,
                    what=what,
                    unit=str(task.office) if task.office else "—",
                    link=settings.SITE_URL + reverse("admin:reports_ledgertask_change", args=[task.pk]),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        return None


ledger_task_ladder = LedgerTaskLadder()


def _addresses(address: str) -> tuple[str, ...]:
    return (address,) if address else ()


def ledger_ladder_register() -> None:
    """Register the ledger's tasks with the escalation ladder; safe to call twice."""
    ladder_registry.register(LEDGER_DEADLINE_KIND, ledger_task_ladder)
    # The ledger's due dates follow their deadlines when a calendar edit moves them. Registered
    # here, with the ledger's ladder handler, because AppConfig.ready() calls this function.
    deadline_listeners.register(LEDGER_DEADLINE_KIND, ledger_deadlines_recomputed)
