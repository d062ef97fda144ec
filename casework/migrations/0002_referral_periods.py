from django.db import migrations

DEFAULTS = {
    "transfer": {"normal": 15, "urgent": 10, "serious": 5},
    "assign": {"normal": 10, "urgent": 5, "serious": 3},
}


def install(apps, schema_editor):
    ReferralPeriod = apps.get_model("casework", "ReferralPeriod")
    for kind, periods in DEFAULTS.items():
        for priority, days in periods.items():
            ReferralPeriod.objects.get_or_create(kind=kind, priority=priority, defaults={"working_days": days})


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
