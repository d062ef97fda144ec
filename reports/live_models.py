"""The tables behind the dashboard's live figures (migrations 0005_live_figures and 0006_live_totals,
PostgreSQL).

The migration creates them, with the functions and triggers that keep them; these models declare
them to Django so that its flush and its test database empty them with the rest. Nothing writes
them through the ORM: the triggers and ``reports.dashboard.live_services`` do, in SQL, and
``reports.live_sums`` reads them. Their columns are described in the migration.
"""

from django.db import models


class LiveCounters(models.Model):
    """The counters every row of the sums holds (their meaning: migration 0005's comments)."""

    received = models.IntegerField(default=0)
    liaison_complaints = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rated_satisfied = models.IntegerField(default=0)
    rated_basically = models.IntegerField(default=0)
    rated_unsatisfied = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    self_handled = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    assigned = models.IntegerField(default=0)
    undecided = models.IntegerField(default=0)
    concluded = models.IntegerField(default=0)
    concluded_late = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handling_days = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    open_delta = models.IntegerField(default=0)
    escalated_delta = models.IntegerField(default=0)
    escalated_1_delta = models.IntegerField(default=0)
    escalated_2_delta = models.IntegerField(default=0)
    escalated_3_delta = models.IntegerField(default=0)
    late_start = models.IntegerField(default=0)
    late_end = models.IntegerField(default=0)
    late_started = models.IntegerField(default=0)
    late_start_midnight = models.IntegerField(default=0)
    late_start_instant = models.IntegerField(default=0)

    class Meta:
        abstract = True


class LiveFigure(LiveCounters):
    """Sums of what cases and complaints contribute, per quarter (or day), unit and category or
    channel; appended to by the triggers and merged by ``reports_live_compact``."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    day = models.DateField()
    department_id = models.IntegerField()
    dimension = models.CharField(max_length=1)
    value = models.CharField(max_length=20)
    merged = models.BooleanField(default=False)

    class Meta:
        db_table = "reports_livefigure"
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.grain} {self.period} {self.department_id} {self.dimension}:{self.value}"


class LiveTotal(LiveCounters):
    """The merged rows of ``LiveFigure`` (grains q and a) totalled per unit (dimension c, value '')
    and per category or channel (unit -1); kept by ``reports_live_compact`` (migration 0006)."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    department_id = models.IntegerField()
    dimension = models.CharField(max_length=1)
    value = models.CharField(max_length=20)

    class Meta:
        db_table = "reports_livetotal"
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.grain} {self.period} {self.department_id} {self.dimension}:{self.value}"


class CaseFact(models.Model):
    """What the figures need of one case (the other columns are the migration's)."""

    case_id = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "reports_casefact"
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.case_id)


class ComplaintFact(models.Model):
    """What the figures need of one complaint (the other columns are the migration's)."""

    complaint_id = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "reports_complaintfact"
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.complaint_id)
