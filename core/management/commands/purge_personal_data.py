"""Purge the personal data kept past its retention period (core.retention; the monthly beat job
does the same). ``--dry-run`` lists what would go: counts per kind and the records' ids, never
an identity."""

import getpass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.retention import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, personal_data_purge, retention_kinds

MAX_IDS_SHOWN = 100_000


def _whole_number(option: str, raw: str, *, low: int, high: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise CommandError(
            _("%(option)s takes a whole number from %(low)s to %(high)s, not %(value)s.")
            % {"option": option, "low": low, "high": high, "value": raw}
        )
    return value


class Command(BaseCommand):
    help = (
        "Remove the personal data kept past its retention period (complainants' identities and the "
        "identity in their texts, evidence files, invitees' e-mails, sent e-mails, login records, "
        "records of looks at identities); keep the anonymised cases, their timelines and every figure."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would go (counts and ids); change nothing."
        )
        parser.add_argument(
            "--kind",
            action="append",
            dest="kinds",
            metavar="KIND",
            help="Only this kind (repeatable). Kinds: " + ", ".join(retention_kinds.names()),
        )
        parser.add_argument(
            "--batch-size", default=str(DEFAULT_BATCH_SIZE), help="Records per transaction (1–10000)."
        )
        parser.add_argument(
            "--show-ids", default="100", help="At most this many ids listed per kind (0–100000)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with a retention period below its safe minimum.",
        )
        parser.add_argument("--user", help="The username recorded as having run the purge.")

    def handle(
        self, *args, dry_run=False, kinds=None, batch_size="", show_ids="", force=False, user=None, **options
    ):
        batch_size = _whole_number("--batch-size", batch_size, low=1, high=MAX_BATCH_SIZE)
        show_ids = _whole_number("--show-ids", show_ids, low=0, high=MAX_IDS_SHOWN)
        actor = None
        if user is not None:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("There is no active user %(user)s.") % {"user": user})
        try:
            actor_name = getpass.getuser()
        except (KeyError, OSError):
            actor_name = ""
        try:
            run, outcomes = personal_data_purge(
                dry_run=dry_run,
                kinds=kinds,
                actor=actor,
                actor_name=_("command (%(user)s)") % {"user": actor_name or "?"},
                batch_size=batch_size,
                force=force,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        write = self.stdout.write
        if dry_run:
            write(self.style.WARNING(_("Dry run: nothing was changed.")))
        for outcome in outcomes:
            kind = retention_kinds.get(outcome.name)
            if outcome.cutoff is None:
                write(
                    _("%(kind)s: kept (%(setting)s is 0).") % {"kind": outcome.name, "setting": kind.setting}
                )
                continue
            write(
                _("%(kind)s (%(label)s): %(count)s past %(cutoff)s")
                % {
                    "kind": outcome.name,
                    "label": kind.label,
                    "count": outcome.count,
                    "cutoff": outcome.cutoff.date().isoformat(),
                }
            )
            if outcome.ids and show_ids:
                shown = ", ".join(str(pk) for pk in outcome.ids[:show_ids])
                more = len(outcome.ids) - show_ids
                write("  " + _("ids: %(ids)s") % {"ids": shown + (f" … (+{more})" if more > 0 else "")})
            if outcome.removed:
                write("  " + ", ".join(f"{key} = {value}" for key, value in sorted(outcome.removed.items())))
        write(_("Recorded as purge run %(run)s.") % {"run": run.pk})
