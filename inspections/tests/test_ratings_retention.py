"""Retention (issue 18): the record of staff looks at who rated an inspection is deleted after
RETENTION_IDENTITY_VIEWS_YEARS; the rating itself stays (it holds no contact data) and so do
recent looks."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.retention import personal_data_purge
from inspections.models import Inspection, InspectionRating, InspectionRatingIdentityView
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


def test_old_looks_at_who_rated_go_and_the_rating_stays(settings):
    settings.RETENTION_IDENTITY_VIEWS_YEARS = 6
    inspection = f.filed(
        department=f.department(), enterprise=f.enterprise(), status=Inspection.Status.CONCLUDED
    )
    rating = InspectionRating.objects.create(inspection=inspection, score=2, comment="检查时间过长。")
    viewer = User.objects.create_user("rating-looker", password="pw-12345678", is_staff=True)
    old = InspectionRatingIdentityView.objects.create(rating=rating, viewer=viewer)
    new = InspectionRatingIdentityView.objects.create(rating=rating, viewer=viewer)
    InspectionRatingIdentityView.objects.filter(pk=old.pk).update(
        viewed_at=timezone.now() - dt.timedelta(days=366 * 6 + 2)
    )

    run, _outcomes = personal_data_purge(dry_run=False, kinds=["rating_identity_views"], actor_name="test")

    assert run.counts["rating_identity_views"]["deleted"] == 1
    assert list(InspectionRatingIdentityView.objects.values_list("pk", flat=True)) == [new.pk]
    assert InspectionRating.objects.filter(pk=rating.pk, comment="检查时间过长。").exists()
