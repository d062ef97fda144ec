from django.db import migrations, models

from core.masking import redact_text


def fill(apps, schema_editor):
    # The recogniser as it is when this runs; `manage.py complaints_mask_refresh` redoes it later.
    Complaint = apps.get_model("complaints", "Complaint")
    ComplainantIdentity = apps.get_model("complaints", "ComplainantIdentity")
    identities = {}
    for complaint in Complaint.objects.order_by("pk").iterator(chunk_size=2000):
        if not complaint.is_anonymous and not identities:
            identities = {i.complaint_id: i for i in ComplainantIdentity.objects.all()}
        identity = None if complaint.is_anonymous else identities.get(complaint.pk)
        text = "\n".join(p for p in (complaint.description, complaint.desired_outcome, complaint.occurred_place) if p)
        Complaint.objects.filter(pk=complaint.pk).update(masked_text=redact_text(text, identity))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_credit_code_validator")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="masked_text",
            field=models.TextField(
                blank=True, db_default="", editable=False, verbose_name="text without identity"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
