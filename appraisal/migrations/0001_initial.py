# The app's first migration is empty: each instrument adds its tables in its own migration.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations: list = []
