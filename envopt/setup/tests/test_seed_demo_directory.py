"""The demo's directory additions (envopt.setup.demo_directory): associations with supervisors and
fee schedules, the leading group, complaints about associations routed to their supervisors and
hotline calls; a second run creates nothing more."""

import datetime as dt

import pytest

from complaints.models import Channel, Complaint
from envopt.setup.demo import DEPARTMENTS
from envopt.setup.demo_directory import ASSOCIATION_COMPLAINTS, HOTLINE_CALLS, demo_directory_install
from liaison.leading_group import leading_group_leader_addresses, leading_group_office
from liaison.models import Association, Department, Office

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


def test_the_demo_directory_is_complete_and_installs_once():
    for name, short, system, is_key, _box in DEPARTMENTS:
        Department.objects.create(name=name, short_name=short, system=system, is_key=is_key)
    Office.objects.create(name="监察投诉中心")
    first = demo_directory_install(now=NOW)
    assert demo_directory_install(now=NOW) == first
    assert first["associations"] == 6 and first["fee schedule items"] >= 6
    assert first["complaints about associations"] == len(ASSOCIATION_COMPLAINTS)
    assert first["hotline calls"] == len(HOTLINE_CALLS)
    for complaint in Complaint.objects.filter(association__isnull=False).select_related("association"):
        assert complaint.department_id == complaint.association.supervising_department_id
    assert Association.objects.filter(kind=Association.Kind.INTERMEDIARY).count() == 3
    assert leading_group_office().name == "监察投诉中心"
    assert leading_group_leader_addresses()[0] == "leader@jw.envopt.example"
    called_back = Complaint.objects.filter(channel=Channel.CONDUCT_HOTLINE, is_anonymous=False).get()
    assert "窗口之间互相推诿" in called_back.masked_text  # a caller without a name masks nothing else
