"""No text that leaves for a department or the public carries a complainant's identity (issue 11,
findings 3 and 4): every service that releases a text checks it against every complainant of the
case before it writes anything; the admin shows what was found on the field, keeps what was
typed and never echoes the identity; search does not find a case by who complained.

Tests marked "rewritten form" use spellings the exact-value check of the interim
``core.masking`` does not catch; they pass once the full recogniser lands there."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.escalation import LADDER_HANDLERS, ladder_handlers_register
from casework.models import Case, CaseEvent, HandlingReport, Recommendation, Referral, Review
from casework.tests import factories
from complaints.models import IdentityView, PublicStatus, PublicUpdate
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from core.ladder import escalation_sweep, ladder_registry
from core.models import Deadline, OutboundEmail
from core.outbox import outbox_render

pytestmark = pytest.mark.django_db

# The default complainant of complaint_factories.identity().
NAME, PHONE, EMAIL, ENTERPRISE = "张三", "13912345678", "zhangsan@example.com", "华兴机械制造有限公司"
# A second complainant, merged into the same case.
OTHER = {"contact_name": "李四", "phone": "13812345678", "email": "lisi@example.com"}
EXACT = [NAME, PHONE, ENTERPRISE]
# Rewritten forms (finding 3): a space inside the name, the phone's last 8 digits.
REWRITTEN = ["张 三", "尾号12345678"]


@pytest.fixture
def handler():
    return factories.user("handler")


@pytest.fixture
def department():
    # Every step of the ladder has an address, so that each digest is written out to the unit.
    return complaint_factories.department(
        head_name="王局长", head_email="head@dept.example", supervising_leader_email="leader@city.example"
    )


@pytest.fixture
def dept_user(department):
    return factories.user("dept", department=department)


def submit(*, department, description=None, **identity_overrides):
    data = {"department": department}
    if description:
        data["description"] = description
    return complaint_submit(
        data=complaint_factories.complaint_data(**data),
        identity=complaint_factories.identity(**identity_overrides),
    ).complaint


def merged_case(*, handler, department, first_description=None) -> Case:
    """A case of 张三's complaint with 李四's complaint merged into it."""
    case = services.complaint_accept(
        complaint=submit(department=department, description=first_description), actor=handler
    )
    second = submit(department=department, credit_code="", enterprise_name="", **OTHER)
    services.complaint_merge(complaint=second, case=case, actor=handler)
    case.refresh_from_db()
    return case


class Snapshot:
    """What a refused call must leave as it was."""

    def __init__(self, case: Case):
        self.case = case
        self.events = CaseEvent.objects.filter(case=case).count()
        self.emails = OutboundEmail.objects.count()
        self.referrals = Referral.objects.count()
        self.recommendations = Recommendation.objects.count()
        self.reviews = Review.objects.count()
        self.updates = PublicUpdate.objects.count()
        self.deadlines = list(Deadline.objects.order_by("pk").values_list("pk", "status", "met_at"))
        self.status = Case.objects.get(pk=case.pk).status

    def unchanged(self) -> bool:
        return (
            CaseEvent.objects.filter(case=self.case).count() == self.events
            and OutboundEmail.objects.count() == self.emails
            and Referral.objects.count() == self.referrals
            and Recommendation.objects.count() == self.recommendations
            and Review.objects.count() == self.reviews
            and PublicUpdate.objects.count() == self.updates
            and list(Deadline.objects.order_by("pk").values_list("pk", "status", "met_at")) == self.deadlines
            and Case.objects.get(pk=self.case.pk).status == self.status
        )


def refused_on(error: pytest.ExceptionInfo, field: str) -> None:
    errors = error.value.error_dict
    assert list(errors) == [field]
    assert errors[field][0].code == "identity_in_text"


# --- Referral: released text and instructions -------------------------------------------------


@pytest.mark.parametrize("field", ["released_text", "instructions"])
@pytest.mark.parametrize("value", EXACT)
def test_a_referral_that_names_the_complainant_is_refused_and_nothing_is_written(
    handler, department, field, value
):
    case = factories.accepted_case(actor=handler, department=department)
    texts = {"released_text": "某企业反映被重复检查。", "instructions": "请核实。"}
    texts[field] += f"联系人:{value}"
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.case_refer(
            case=case, department=department, kind=Referral.Kind.ASSIGN, actor=handler, **texts
        )
    refused_on(error, field)
    assert before.unchanged()


@pytest.mark.parametrize("value", REWRITTEN)
def test_a_referral_with_a_rewritten_identity_is_refused(handler, department, value):
    # rewritten form: passes once the full recogniser lands in core.masking
    case = factories.accepted_case(actor=handler, department=department)
    with pytest.raises(ValidationError) as error:
        services.case_refer(
            case=case,
            department=department,
            kind=Referral.Kind.ASSIGN,
            released_text=f"某企业反映被重复检查,联系人{value}。",
            actor=handler,
        )
    refused_on(error, "released_text")


def test_the_identity_of_a_merged_complainant_is_checked_too(handler, department):
    case = merged_case(handler=handler, department=department)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.case_refer(
            case=case,
            department=department,
            kind=Referral.Kind.ASSIGN,
            released_text="某企业反映被重复检查。",
            instructions="可联系李四了解情况。",
            actor=handler,
        )
    refused_on(error, "instructions")
    assert before.unchanged()


def test_both_fields_are_reported_at_once(handler, department):
    case = factories.accepted_case(actor=handler, department=department)
    with pytest.raises(ValidationError) as error:
        services.case_refer(
            case=case,
            department=department,
            kind=Referral.Kind.ASSIGN,
            released_text=f"{ENTERPRISE}反映被重复检查。",
            instructions=f"请联系{PHONE}。",
            actor=handler,
        )
    assert set(error.value.error_dict) == {"released_text", "instructions"}


def test_the_prefilled_released_text_is_redacted_over_every_complainant_of_the_case(handler, department):
    # 张三's complaint names 李四, whose complaint is merged later: the draft must not carry him.
    case = merged_case(
        handler=handler, department=department, first_description="我和李四两家企业都被同一部门重复检查五次。"
    )
    draft = services.case_released_text(case=case)
    assert "重复检查五次" in draft
    assert "李四" not in draft and NAME not in draft
    # and it passes the check it will meet when sent
    services.case_refer(
        case=case, department=department, kind=Referral.Kind.ASSIGN, released_text=draft, actor=handler
    )


# --- Report review: the return reason (and an accepting comment) reach the department ----------


@pytest.mark.parametrize("decision", [Review.Decision.RETURN, Review.Decision.ACCEPT])
def test_a_review_reason_that_names_the_complainant_is_refused(handler, department, dept_user, decision):
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    report = HandlingReport.objects.get(referral=referral)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.report_review(
            report=report, decision=decision, reason=f"请回访投诉人{NAME}({PHONE})。", actor=handler
        )
    refused_on(error, "reason")
    assert before.unchanged()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REPORTED and referral.round == 1


# --- Recommendations ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["content", "basis"])
def test_a_recommendation_that_names_the_complainant_is_refused(handler, department, field):
    case = factories.accepted_case(actor=handler, department=department)
    texts = {"content": "建议规范检查。", "basis": "群众反映。"}
    texts[field] += ENTERPRISE
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.recommendation_issue(case=case, department=department, actor=handler, **texts)
    refused_on(error, field)
    assert before.unchanged()


def test_returning_a_rectification_with_the_complainants_name_is_refused(handler, department):
    case = factories.accepted_case(actor=handler, department=department)
    recommendation = services.recommendation_issue(
        case=case, department=department, content="建议规范检查。", actor=handler
    )
    services.recommendation_reply(recommendation=recommendation, reply="已整改。", actor=handler)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.recommendation_close(
            recommendation=recommendation, accept=False, note=f"{NAME}仍反映未整改。", actor=handler
        )
    refused_on(error, "note")
    assert before.unchanged()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.REPLIED and not recommendation.return_reason


def test_an_unverifiable_finding_whose_note_names_the_complainant_is_refused(handler, department):
    # The note becomes the basis of the explanation recommendation the unit reads.
    case = factories.accepted_case(actor=handler, department=department)
    services.case_self_handle(case=case, actor=handler)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.case_record_finding(
            case=case,
            finding=Case.Finding.UNVERIFIABLE,
            note=f"投诉人电话{PHONE}无法接通。",
            follow_up_on=timezone.localdate() + dt.timedelta(days=30),
            actor=handler,
        )
    refused_on(error, "note")
    assert before.unchanged()


# --- Typical cases, results and refusals told to complainants ----------------------------------


def test_a_typical_case_summary_that_names_the_complainant_is_refused(handler, department):
    case = factories.accepted_case(actor=handler, department=department)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.case_mark_typical(case=case, summary=f"{ENTERPRISE}被重复检查五次。", actor=handler)
    refused_on(error, "summary")
    assert before.unchanged()
    assert not Case.objects.get(pk=case.pk).is_typical


def test_a_result_that_names_another_complainant_of_the_case_is_refused(handler, department):
    # Every complainant of the case reads the result on the tracking page.
    case = merged_case(handler=handler, department=department)
    services.case_self_handle(case=case, actor=handler)
    services.case_record_finding(case=case, finding=Case.Finding.SUBSTANTIATED, actor=handler)
    before = Snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.case_close(case=case, result_summary="经核查,李四反映的情况属实。", actor=handler)
    refused_on(error, "result_summary")
    assert before.unchanged()


def test_a_refusal_reason_that_names_the_complainant_is_refused(department):
    complaint = submit(department=department)
    with pytest.raises(ValidationError) as error:
        services.complaint_not_accept(complaint=complaint, reason=f"{NAME}您好,不属于受理范围。", actor=None)
    refused_on(error, "reason")
    complaint.refresh_from_db()
    assert (
        complaint.status == PublicStatus.RECEIVED
        and not complaint.public_updates.filter(status=PublicStatus.NOT_ACCEPTED).exists()
    )


# --- The case title ---------------------------------------------------------------------------


def test_a_typed_case_title_that_names_the_complainant_is_refused(handler, department):
    complaint = submit(department=department)
    with pytest.raises(ValidationError) as error:
        services.complaint_accept(complaint=complaint, title=f"{NAME}反映重复检查", actor=handler)
    refused_on(error, "title")
    assert not Case.objects.exists()


def test_the_case_title_loses_a_merged_complainants_identity(handler, department):
    case = merged_case(
        handler=handler, department=department, first_description="李四和我都被同一部门重复检查五次。"
    )
    assert "李四" not in case.title and "重复检查" in case.title


# --- The staff workplace ---------------------------------------------------------------------


def refer_url(case: Case) -> str:
    return reverse("admin:casework_case_action", args=[case.pk, "refer"])


def test_the_refer_form_shows_what_was_found_on_the_field_and_keeps_the_typed_text(
    client, handler, department
):
    case = factories.accepted_case(actor=handler, department=department)
    client.force_login(handler)
    typed = f"某企业反映被重复检查,联系电话{PHONE},联系人{NAME}。"
    before = Snapshot(case)
    response = client.post(
        refer_url(case),
        {
            "department": department.pk,
            "kind": Referral.Kind.ASSIGN,
            "released_text": typed,
            "instructions": "",
        },
    )
    assert response.status_code == 200
    assert before.unchanged()
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["released_text"]] == ["identity_in_text"]
    assert not form.non_field_errors()
    message = " ".join(form.errors["released_text"])
    assert PHONE not in message and NAME not in message
    page = response.content.decode()
    assert typed in page  # kept in the textarea
    assert 'id="id_released_text_error"' in page


def refer_typing(client, case: Case, department, text: str):
    return client.post(
        refer_url(case),
        {
            "department": department.pk,
            "kind": Referral.Kind.ASSIGN,
            "released_text": text,
            "instructions": "",
        },
    )


def test_a_refusal_that_confirms_a_guess_is_on_the_complaints_record_of_looks(client, handler, department):
    # The refusal tells a handler who may not see who complained that their guess is right:
    # it is recorded beside every unmasked look, where those who may see identity find it.
    case = factories.accepted_case(actor=handler, department=department)
    complaint = case.complaint_links.get().complaint
    client.force_login(handler)
    assert refer_typing(client, case, department, f"是不是{NAME}反映的?").status_code == 200
    confirmations = IdentityView.objects.filter(complaint=complaint, viewer=handler)
    assert [view.kind for view in confirmations] == [IdentityView.Kind.CHECK]
    client.force_login(factories.user("head"))
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert 'data-identity-view="check"' in page and handler.username in page


def test_a_refusal_for_anybodys_number_or_by_staff_who_may_see_records_nothing(client, handler, department):
    case = factories.accepted_case(actor=handler, department=department)
    client.force_login(handler)
    refer_typing(client, case, department, "请联系执法大队13700001111核实。")
    head = factories.user("head")
    client.force_login(head)
    refer_typing(client, case, department, f"{NAME}反映重复检查。")
    assert not IdentityView.objects.filter(kind=IdentityView.Kind.CHECK).exists()


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("typical", {"summary": f"{ENTERPRISE}被重复检查五次。"}, "summary"),
        ("recommend", {"content": f"请回复{NAME}。", "basis": "", "working_days": 20}, "content"),
        ("recommend", {"content": "建议规范检查。", "basis": f"{PHONE}反映", "working_days": 20}, "basis"),
    ],
)
def test_every_workflow_form_puts_the_identity_error_on_its_field(
    client, handler, department, action, data, field
):
    case = factories.accepted_case(actor=handler, department=department)
    client.force_login(handler)
    before = Snapshot(case)
    response = client.post(
        reverse("admin:casework_case_action", args=[case.pk, action]), {"department": department.pk, **data}
    )
    assert response.status_code == 200
    assert before.unchanged()
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()[field]] == ["identity_in_text"]
    assert form.data[field] == data[field]


def test_the_refusal_form_of_a_complaint_puts_the_identity_error_on_the_reason(client, handler, department):
    complaint = submit(department=department)
    client.force_login(handler)
    url = reverse("admin:complaints_complaint_triage", args=[complaint.pk, "not_accept"])
    response = client.post(url, {"reason": f"{NAME}您好,不属于受理范围。"})
    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["reason"]] == [
        "identity_in_text"
    ]
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.RECEIVED


def test_bulk_referral_skips_a_case_it_cannot_send_and_says_so(client, handler, department):
    named, clean = (factories.accepted_case(actor=handler, department=department) for _ in range(2))
    client.force_login(handler)
    response = client.post(
        reverse("admin:casework_case_changelist"),
        {
            "action": "bulk_refer",
            "_selected_action": [named.pk, clean.pk],
            "apply": "1",
            "kind": Referral.Kind.ASSIGN,
            # 张三 filed both; 李四 is not anybody's identity here.
            "instructions": f"请联系{PHONE}核实。",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert not Referral.objects.exists()
    notes = " ".join(str(message) for message in response.context["messages"])
    assert named.reference in notes and clean.reference in notes
    assert PHONE not in notes


# --- Admin search ---------------------------------------------------------------------------


def search(client, term: str) -> str:
    return client.get(reverse("admin:casework_case_changelist"), {"q": term}).content.decode()


def test_a_handler_without_the_identity_permission_cannot_find_a_case_by_who_complained(
    client, handler, department
):
    case = factories.accepted_case(
        actor=handler,
        department=department,
        description=f"{NAME}(电话{PHONE})反映:{ENTERPRISE}被重复检查五次,执法人员电话13600001111。",
    )
    head = factories.user("head")
    client.force_login(handler)
    for term in [PHONE, NAME, ENTERPRISE, EMAIL, "13600001111"]:
        assert case.reference not in search(client, term), term
    assert case.reference in search(client, "被重复检查五次")
    client.force_login(head)
    for term in [PHONE, NAME, "13600001111", "被重复检查五次"]:
        assert case.reference in search(client, term), term


def test_a_rewritten_identity_does_not_find_the_case_either(client, handler, department):
    # rewritten forms: the surname with a title, full-width digits of the phone
    case = factories.accepted_case(
        actor=handler, department=department, description="张总反映:本企业被重复检查五次,请联系我。"
    )
    client.force_login(handler)
    for term in ["张总", "１３９１２３４５６７８", "１２３４５６７８"]:
        assert case.reference not in search(client, term), term
    client.force_login(factories.user("head"))
    assert case.reference in search(client, "张总")


def test_a_case_is_not_found_by_what_redaction_hides_from_the_handler(client, handler, department):
    # Anonymous: nothing on file to compare with, but the engine hides these in context, so the
    # handler does not see them and must not find the case by them.
    case = factories.accepted_case(
        actor=handler,
        department=department,
        anonymous=True,
        description="本公司宁波澜屿精工有限公司多次被重复检查,手机尾号67392041。",
    )
    client.force_login(handler)
    for term in ["宁波澜屿精工有限公司", "67392041"]:
        assert case.reference not in search(client, term), term
    assert case.reference in search(client, "多次被重复检查")
    client.force_login(factories.user("head"))
    assert case.reference in search(client, "67392041")


def test_a_common_word_finds_cases_by_title_and_by_what_they_read(client, handler, department):
    by_title = factories.accepted_case(
        actor=handler, department=department, description="噪声扰民,夜间施工。"
    )
    by_description = factories.accepted_case(
        actor=handler, department=department, description="企业反映重复检查。" * 8 + "另有夜间施工。"
    )
    client.force_login(handler)
    page = search(client, "夜间施工")
    assert by_title.reference in page and by_description.reference in page


# --- The department's side, end to end --------------------------------------------------------


@pytest.fixture
def ladder_handlers():
    added = [kind for kind in LADDER_HANDLERS if ladder_registry.get(kind) is None]
    ladder_handlers_register()
    yield
    for kind in added:
        ladder_registry.unregister(kind)


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param(EXACT, id="exact"),
        # rewritten form: passes once the full recogniser lands in core.masking
        pytest.param(REWRITTEN, id="rewritten"),
    ],
)
def test_the_department_never_reads_who_complained(
    client, handler, department, dept_user, ladder_handlers, planted
):
    complaint = submit(
        department=department,
        description="三个月内被同一部门重复检查五次。"
        + ",".join(f"联系人{value}" for value in planted)
        + "。",
    )
    case = services.complaint_accept(complaint=complaint, actor=handler)
    merged = submit(
        department=department, description="同样被重复检查。", credit_code="", enterprise_name="", **OTHER
    )
    services.complaint_merge(complaint=merged, case=case, actor=handler)

    # The handler refers with the prepared text, as the admin offers it.
    client.force_login(handler)
    draft = client.get(refer_url(case)).context["form"]["released_text"].value()
    response = client.post(
        refer_url(case),
        {
            "department": department.pk,
            "kind": Referral.Kind.ASSIGN,
            "released_text": draft,
            "instructions": "请核实。",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    referral = Referral.objects.get(case=case)
    escalation_sweep(now=timezone.now() + dt.timedelta(days=60))

    portal = reverse("department_portal:referral", args=[referral.pk])
    report = {"action": "report", "facts": "经核查属实。", "finding": "substantiated", "measures": "已整改。"}
    client.force_login(dept_user)
    client.post(portal, {"action": "acknowledge"})
    assert client.post(portal, report).status_code == 302

    client.force_login(handler)
    review = reverse("admin:casework_case_action", args=[case.pk, "review"])
    assert client.post(review, {"decision": "return", "reason": "请补充核查结果。"}).status_code == 302
    client.force_login(dept_user)
    assert client.post(portal, report).status_code == 302
    client.force_login(handler)
    assert client.post(review, {"decision": "accept", "reason": ""}).status_code == 302
    recommend = reverse("admin:casework_case_action", args=[case.pk, "recommend"])
    response = client.post(
        recommend, {"department": department.pk, "content": "建议规范检查。", "basis": "", "working_days": 20}
    )
    assert response.status_code == 302
    recommendation = Recommendation.objects.get(case=case)
    escalation_sweep(now=timezone.now() + dt.timedelta(days=120))

    client.force_login(dept_user)
    seen = [
        client.get(url).content.decode()
        for url in [
            reverse("department_portal:home"),
            reverse("department_portal:home") + "?status=all",
            portal,
            reverse("department_portal:recommendation", args=[recommendation.pk]),
        ]
    ]
    emails = [
        email
        for email in OutboundEmail.objects.order_by("pk")
        if email.kind == "referral_notice" or email.kind.startswith("ladder_")
    ]
    assert [email.kind for email in emails].count("referral_notice") == 2  # sent, then returned
    assert sum(email.kind.startswith("ladder_") for email in emails) >= 2
    for email in emails:
        outbox_render(email)
        seen += [email.subject, email.body_text, email.body_html]
    assert any("被同一部门重复检查五次" in text for text in seen)
    for value in [*planted, *OTHER.values()]:
        for text in seen:
            assert value not in text
