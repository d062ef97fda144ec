"""Admin search does not find a complaint by who complained for staff who may not see who it was
(complaints.search.search_without_identity); for staff who may, it searches everything."""

import pytest
from django.contrib.auth.models import Group, User

from casework.models import Case
from complaints.models import Complaint
from complaints.search import search_without_identity
from complaints.services import complaint_masked_text_refresh, complaint_submit
from complaints.tests import factories

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL, ENTERPRISE, CODE = (
    "欧阳守密",
    "13700001111",
    "only.here@secret.example.org",
    "独此一家精工有限公司",
    "91110000802100433B",
)
IDENTITY = {
    "contact_name": NAME,
    "phone": PHONE,
    "email": EMAIL,
    "enterprise_name": ENTERPRISE,
    "credit_code": CODE,
}
CHANGELIST = "/admin/complaints/complaint/"


def staff(role: str) -> User:
    user = User.objects.create_user(role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def file(description: str, *, anonymous: bool = False) -> Complaint:
    return complaint_submit(
        data=factories.complaint_data(description=description),
        identity=None if anonymous else factories.identity(**IDENTITY),
    ).complaint


@pytest.fixture
def complaints():
    return {
        # The complainant wrote who they are into the text, as many do.
        "self-named": file(f"我是{NAME},电话{PHONE},邮箱{EMAIL},{ENTERPRISE}(代码{CODE})被重复检查。"),
        # Same complainant, nothing of them in the text.
        "plain": file("执法人员三个月内上门检查五次。"),
        # Anonymous, with a phone number in the text.
        "anonymous": file(f"匿名反映:执法人员索要好处,知情人电话{PHONE}。", anonymous=True),
    }


def found(client, term: str) -> set[str]:
    """The complaints the search lists (the result rows: the page's help text names an example
    reference, TS2026-000123, which is a real complaint once the id sequence reaches 123)."""
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return {str(complaint) for complaint in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "term",
    [
        NAME,
        PHONE,
        EMAIL,
        ENTERPRISE,
        CODE,
        "独此一家",
        PHONE[-8:],
        "0000111",
        "137 0000 1111",
        "only.here",
        "0021004",
    ],
)
def test_staff_without_the_permission_do_not_find_a_complaint_by_who_complained(client, complaints, term):
    client.force_login(staff("Case handler"))
    assert found(client, term) == set(), term


@pytest.mark.parametrize("term", [PHONE, "1370000", "１３７００００１１１１", "137-0000-1111", "1111"])
def test_numbers_in_an_anonymous_complaint_are_not_searchable_without_the_permission(client, term):
    complaint = file(f"匿名反映:知情人电话{PHONE},请核实。", anonymous=True)
    client.force_login(staff("Case handler"))
    assert found(client, term) == set(), term
    assert found(client, "知情人") == {complaint.reference}


def test_staff_without_the_permission_still_find_complaints_by_what_happened(client, complaints):
    client.force_login(staff("Case handler"))
    by_text = found(client, "执法人员")
    assert complaints["plain"].reference in by_text and complaints["anonymous"].reference in by_text
    assert found(client, "索要好处") == {complaints["anonymous"].reference}
    assert found(client, complaints["plain"].department.name) >= {complaints["plain"].reference}
    assert found(client, complaints["plain"].reference) == {complaints["plain"].reference}


@pytest.mark.parametrize("term", [NAME, PHONE, ENTERPRISE, CODE])
def test_staff_with_the_permission_find_a_complaint_by_anything_in_it(client, complaints, term):
    client.force_login(staff("Intake officer"))
    assert complaints["self-named"].reference in found(client, term)


def test_an_identity_word_next_to_an_ordinary_one_finds_nothing_for_staff_without_the_permission(
    client, complaints
):
    client.force_login(staff("Case handler"))
    assert found(client, f"检查 {NAME}") == set()
    assert found(client, f'"{PHONE}" 执法人员') == set()


def test_the_search_looks_only_in_the_fields_it_is_given_from_any_model():
    complaint = file(f"我是{NAME}。执法人员重复检查。")
    other = file("执法人员重复检查。", anonymous=True)
    queryset, duplicates = search_without_identity(
        Complaint.objects.all(), search_term="执法人员", fields=["masked_text"]
    )
    assert set(queryset) == {complaint, other} and duplicates is False
    queryset, _duplicates = search_without_identity(
        Complaint.objects.all(), search_term=NAME, fields=["masked_text"]
    )
    assert list(queryset) == []
    # From a case, through its complaints: the path spans a to-many relation.
    _queryset, duplicates = search_without_identity(
        Case.objects.all(),
        search_term="执法人员",
        fields=["title", "complaint_links__complaint__masked_text"],
    )
    assert duplicates is True


def test_the_masked_text_is_refreshed_with_the_recogniser_as_it_is_now():
    complaint = file(f"我是{NAME}。执法人员重复检查。")
    Complaint.objects.filter(pk=complaint.pk).update(masked_text=f"stale {NAME}")
    assert complaint_masked_text_refresh() == 1
    complaint.refresh_from_db()
    assert NAME not in complaint.masked_text and "执法人员重复检查" in complaint.masked_text
    assert complaint_masked_text_refresh() == 0


def test_words_of_the_text_and_the_units_name_combine(client, complaints):
    client.force_login(staff("Case handler"))
    assert found(client, "执法人员 索要好处") == {complaints["anonymous"].reference}
    assert found(client, f"索要好处 {complaints['anonymous'].department.name}") == {
        complaints["anonymous"].reference
    }
