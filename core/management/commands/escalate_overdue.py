"""Run the escalation ladder once (the periodic task does the same) and print what it did."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.ladder import Step, SweepItem, escalation_sweep, ladder_registry, step_label


def _moment(value: str) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(
                _("--now takes an ISO date or date and time, e.g. 2026-10-12 or 2026-10-12T08:00.")
            )
        moment = dt.datetime.combine(day, dt.time(8, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Climb every open deadline to the escalation step it has reached (reminder, overdue warning, "
        "supervision), record each step once and queue one digest e-mail per recipient and step."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen; write nothing and queue nothing."
        )
        parser.add_argument(
            "--now",
            metavar="WHEN",
            help="With --dry-run: sweep as if it were this ISO date or date and time (commission time zone).",
        )

    def handle(self, *args, dry_run=False, now=None, **options):
        if now and not dry_run:
            raise CommandError(_("--now only previews: use it with --dry-run."))
        result = escalation_sweep(now=_moment(now) if now else None, dry_run=dry_run)
        write = self.stdout.write
        if dry_run:
            write(self.style.WARNING(_("Dry run: nothing was written and no e-mail was queued.")))
        write(
            _(
                "Sweep of %(today)s: reminders for items due by %(remind_by)s, warnings for items overdue, "
                "escalation for items due on or before %(escalate_by)s. Kinds: %(kinds)s."
            )
            % {
                "today": result.today.isoformat(),
                "remind_by": result.remind_by.isoformat(),
                "escalate_by": result.escalate_by.isoformat(),
                "kinds": ", ".join(ladder_registry.kinds()) or _("none registered"),
            }
        )
        for step in sorted(Step, reverse=True):
            items = result.items_at(step)
            write(f"{step_label(step)}: {len(items)}")
            for item in items:
                write("  " + self._line(item))
        for digest in result.digests:
            if not digest.to:
                count = len(digest.deadline_ids)
                if dry_run:
                    message = ngettext(
                        "No address for %(recipient)s (%(step)s, %(count)s item): it would be recorded as "
                        "a failed e-mail.",
                        "No address for %(recipient)s (%(step)s, %(count)s items): it would be recorded as "
                        "a failed e-mail.",
                        count,
                    )
                else:
                    message = ngettext(
                        "No address for %(recipient)s (%(step)s, %(count)s item): recorded as a failed "
                        "e-mail.",
                        "No address for %(recipient)s (%(step)s, %(count)s items): recorded as a failed "
                        "e-mail.",
                        count,
                    )
                values = {"recipient": digest.recipient, "step": step_label(digest.step), "count": count}
                write(self.style.ERROR(message % values))
        label = _("E-mails that would be queued: %(count)s") if dry_run else _("E-mails queued: %(count)s")
        write(self.style.SUCCESS(label % {"count": result.emails}))

    def _line(self, item: SweepItem) -> str:
        if item.overdue_working_days:
            days = item.overdue_working_days
            state = ngettext("%(days)s working day overdue", "%(days)s working days overdue", days) % {
                "days": days
            }
        elif item.working_days_left:
            days = item.working_days_left
            state = ngettext("%(days)s working day left", "%(days)s working days left", days) % {"days": days}
        else:
            state = ""
        parts = [
            item.reference or _("(subject not found)"),
            _("%(kind)s #%(id)s, round %(round)s")
            % {"kind": item.kind, "id": item.object_id, "round": item.round},
            item.unit,
            _("due %(due)s") % {"due": item.due_date.isoformat()},
            state,
        ]
        if item.from_step + 1 < item.step:
            parts.append(_("lower steps passed over"))
        to = ", ".join(item.to) or _("no address")
        return " · ".join(part for part in parts if part) + f" → {to}"
