"""Issue 14's leftovers in the inspections' schema.

* The supervision code gets a second secret. Until now one secret opened both the scan-to-enter
  page and the enterprise's own page; it is printed on the QR code hung at the enterprise, so it
  is public. It stays what it is on the wall (the scan secret: printed codes keep working for
  inspectors) and no longer opens the enterprise's page; the enterprise's private link is a new
  secret, issued by staff (none exists for a code made before this migration).
* "Entry without a filing" was never raised: such an entry is the emergency entry, whose label
  now says so. A flag of the old kind, if any, becomes the emergency flag of its inspection.
* Each look at who rated an inspection is put on the record.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def no_filing_to_emergency(apps, schema_editor):
    InspectionFlag = apps.get_model("inspections", "InspectionFlag")
    old = InspectionFlag.objects.filter(kind="no_filing")
    # One flag of a kind per inspection: where the emergency flag exists, it already says it all.
    old.filter(inspection__flags__kind="emergency").delete()
    old.update(kind="emergency")


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_inspected_enterprise"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="supervisioncode", old_name="secret_hash", new_name="scan_hash"),
        migrations.RenameField(model_name="supervisioncode", old_name="issued_at", new_name="scan_issued_at"),
        migrations.AlterField(
            model_name="supervisioncode",
            name="scan_issued_at",
            field=models.DateTimeField(verbose_name="QR code issued at"),
        ),
        migrations.AddField(
            model_name="supervisioncode",
            name="private_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="supervisioncode",
            name="private_issued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="private link issued at"),
        ),
        migrations.RunPython(no_filing_to_emergency, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="inspectionflag",
            name="kind",
            field=models.CharField(
                choices=[
                    ("over_cap", "Over the yearly cap for the enterprise's class"),
                    ("cross", "Cross inspection: another department within the window"),
                    ("repeated", "Repeated: the same item inspected this year"),
                    ("no_disturbance", "No-disturbance enterprise"),
                    ("emergency", "Entry without a filing (emergency), to be reviewed"),
                    ("outcome_late", "Outcome not recorded in time"),
                    ("low_rating", "Low rating by the enterprise"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="InspectionRatingIdentityView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("viewed_at", models.DateTimeField(auto_now_add=True, verbose_name="viewed at")),
                (
                    "kind",
                    models.CharField(
                        choices=[("list", "saw it in the list of ratings"), ("record", "opened the rating")],
                        default="record",
                        max_length=10,
                        verbose_name="how",
                    ),
                ),
                (
                    "rating",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identity_views",
                        to="inspections.inspectionrating",
                        verbose_name="rating",
                    ),
                ),
                (
                    "viewer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="viewer",
                    ),
                ),
            ],
            options={
                "verbose_name": "view of who rated an inspection",
                "verbose_name_plural": "views of who rated inspections",
                "ordering": ["-viewed_at", "-id"],
            },
        ),
    ]
