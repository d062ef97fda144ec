# Issue 18 (outbox): claims with a lease, a record before the SMTP transaction, a stored Message-ID.

import core.models
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat


def keep_the_message_ids_already_used(apps, schema_editor):
    """Rows written before this migration were sent as <outbox-<id>@domain>: they keep that
    Message-ID, so that a copy sent again still matches the first. New rows get a random one."""
    OutboundEmail = apps.get_model("core", "OutboundEmail")
    OutboundEmail.objects.update(
        message_id=Concat(
            Value("<outbox-"),
            Cast(F("pk"), models.CharField()),
            Value(f"@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>"),
            output_field=models.CharField(),
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0008_deadline_ladder_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="claim_token",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed at"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="interrupted_sends",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text=(
                    "Sends whose outcome was never learnt (the worker stopped, or the connection was "
                    "lost, after the SMTP transaction had started), so the message was sent again: it "
                    "may have been sent twice, with the same Message-ID."
                ),
                verbose_name="interrupted sends",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="lease expires at"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="smtp_started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SMTP transaction started at"),
        ),
        # Nullable first: a callable default would give every existing row the same value.
        migrations.AddField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(max_length=255, null=True, verbose_name="Message-ID"),
        ),
        migrations.RunPython(keep_the_message_ids_already_used, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(
                default=core.models.outbox_message_id, max_length=255, unique=True, verbose_name="Message-ID"
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=[("pending", "Pending"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "sending")), fields=["lease_expires_at"], name="outbox_sending_lease"
            ),
        ),
    ]
