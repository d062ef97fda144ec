import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.selectors import bigrams, complaint_similar, complaint_text_for_viewer, similarity
from complaints.services import complaint_submit
from complaints.tests import factories

pytestmark = pytest.mark.django_db

TEXT = "市场监管局执法人员三个月内到我公司重复检查五次,每次都要求停产配合,严重影响生产经营。"
NEAR = "市场监管局执法人员两个月内到我厂重复检查四次,每次都要求停产配合检查,影响生产。"
OTHER = "税务局办理退税手续拖了半年还没有结果,窗口人员态度很差,让我们反复补材料。"


def test_bigrams_work_on_chinese_text():
    assert similarity(bigrams(TEXT), bigrams(NEAR)) > 0.5
    assert similarity(bigrams(TEXT), bigrams(OTHER)) < 0.15


def test_similar_complaints_about_the_same_unit_within_90_days_are_found():
    unit = factories.department()
    now = timezone.now()
    mine = factories.submit(department=unit, description=TEXT).complaint
    near = factories.submit(department=unit, description=NEAR).complaint
    factories.submit(department=unit, description=OTHER)
    factories.submit(department=factories.department(), description=NEAR)  # another unit
    # Filed 120 days ago (received_at is content: it is given at filing, never changed after).
    complaint_submit(
        data=factories.complaint_data(department=unit, description=NEAR),
        identity=None,
        received_at=now - datetime.timedelta(days=120),
    )
    found = complaint_similar(mine)
    assert [c.pk for c, _score in found] == [near.pk]
    assert 0.5 < found[0][1] <= 1


def test_the_similar_complaints_come_with_what_masks_them_in_one_query():
    unit = factories.department()
    mine = factories.submit(department=unit, description=TEXT).complaint
    for _ in range(5):
        factories.submit(department=unit, description=NEAR + "我是张三,电话13912345678。")
    factories.submit(department=unit, description=NEAR + "电话13912345678。", anonymous=True)
    with CaptureQueriesContext(connection) as queries:
        masked = [
            complaint_text_for_viewer(c, "description", can_see=False) for c, _ in complaint_similar(mine)
        ]
    assert len(queries) == 1
    assert len(masked) == 6
    assert all("张三" not in text and "13912345678" not in text for text in masked)
