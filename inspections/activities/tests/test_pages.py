"""The department's pages, the public list and the complaint from it (the filing linked, the item
named only), and the staff workplace: decisions, cancelled items, complaints confirmed into flags,
cases from flags; constant queries on the lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Case
from complaints.models import Category, Channel, Complaint
from complaints.tests import factories as complaint_factories
from inspections.activities import services
from inspections.activities.tests import factories as af
from inspections.models import ActivityComplaint, ActivityFiling, ActivityFlag, CancelledActivity
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db
PUBLIC = reverse("activities_public:list")


@pytest.fixture
def department():
    return f.department()


# --- The department --------------------------------------------------------------------------


def test_a_department_files_through_its_page_and_reads_the_decision(client, department):
    officer = f.dept_user(department)
    client.force_login(officer)
    data = {
        k: v for k, v in af.filing_kwargs(department, officer).items() if k not in ("actor", "department")
    }
    data["department"] = department.pk
    response = client.post(reverse("activity_filing:new"), {**data, "voluntary": "on"})
    filing = ActivityFiling.objects.get()
    assert response["Location"] == reverse("activity_filing:detail", args=[filing.pk])
    services.activity_decide(
        filing=filing, decision=services.APPROVE_NO_FEE, note="不得收费", actor=f.staff()
    )
    page = client.get(response["Location"]).content.decode()
    assert "data-no-fee" in page and "不得收费" in page
    assert filing.title in client.get(reverse("activity_filing:list")).content.decode()


def test_a_cancelled_item_is_refused_next_to_the_title_and_nothing_typed_is_lost(client, department):
    af.cancelled("优秀民营企业评选")
    officer = f.dept_user(department)
    client.force_login(officer)
    data = {
        k: v for k, v in af.filing_kwargs(department, officer).items() if k not in ("actor", "department")
    }
    data.update(
        department=department.pk, title="2027年优秀民营企业评选", kind="award", audience="<script>x</script>"
    )
    response = client.post(reverse("activity_filing:new"), data)
    assert response.status_code == 200 and response.context["form"].errors["title"]
    page = response.content.decode()
    assert (
        "2027年优秀民营企业评选" in page
        and "&lt;script&gt;x&lt;/script&gt;" in page
        and "<script>x" not in page
    )
    assert not ActivityFiling.objects.exists()


def test_another_departments_filing_is_not_found(client, department):
    filing = af.approved(department)
    client.force_login(f.dept_user(f.department()))
    assert client.get(reverse("activity_filing:detail", args=[filing.pk])).status_code == 404
    assert filing.title not in client.get(reverse("activity_filing:list")).content.decode()


def test_a_department_user_without_the_portal_cannot_file(client, department):
    client.force_login(f.staff("Leader"))
    assert client.get(reverse("activity_filing:new")).status_code == 403


# --- The public list and the complaint from it -----------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_public_list_shows_approved_and_cancelled_items_in_constant_queries(client, department):
    refused = af.approved(department, status=ActivityFiling.Status.REFUSED, title="被否决的培训")
    pending = af.approved(department, status=ActivityFiling.Status.FILED, title="待审的培训")
    af.approved(department, title="公开的培训")
    af.cancelled("十佳企业评选", department=department)
    page = client.get(PUBLIC).content.decode()
    assert "公开的培训" in page and "十佳企业评选" in page
    assert refused.title not in page and pending.title not in page
    few = _queries(client, PUBLIC)
    for n in range(8):
        af.approved(f.department(), title=f"培训{n}", status=ActivityFiling.Status.APPROVED_NO_FEE)
        af.cancelled(f"某某达标评比{n}", department=f.department())
    assert _queries(client, PUBLIC) == few


def _complain(client, url, department, description):
    return client.post(
        url,
        {
            "complainant_type": "enterprise",
            "identity_mode": "real",
            "contact_name": "张三",
            "phone": "13812345678",
            "enterprise_name": "某某科技有限公司",
            "department": department.pk if department else "",
            "category": Category.TRAINING,
            "occurred_on": timezone.localdate().isoformat(),
            "description": description,
            "consent": "on",
        },
    )


def test_an_enterprise_complains_from_an_entry_and_the_filing_is_linked(client, department, settings):
    settings.INTAKE_POW_ENABLED = False
    filing = af.approved(department, status=ActivityFiling.Status.APPROVED_NO_FEE)
    url = reverse("activities_public:complain_filing", args=[filing.pk])
    assert url in client.get(PUBLIC).content.decode()
    form = client.get(url)
    initial = form.context["form"].initial
    assert initial["category"] == Category.TRAINING and initial["department"] == department.pk
    assert filing.title in initial["description"]
    response = _complain(client, url, department, initial["description"] + "批准免费却每人收取资料费三百元。")
    assert response.status_code == 302 and response["Location"] == reverse("complaints:submitted")
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.WEB and complaint.category == Category.TRAINING
    assert complaint.department == department
    assert ActivityComplaint.objects.get().filing == filing


def test_a_complaint_about_an_activity_not_in_the_list_becomes_a_flag_when_confirmed(
    client, department, settings
):
    settings.INTAKE_POW_ENABLED = False
    url = reverse("activities_public:complain_other")
    assert url in client.get(PUBLIC).content.decode()
    _complain(client, url, department, "某局要求企业参加未公示的培训班，每家收费五百元，不去就不办证。")
    link = ActivityComplaint.objects.get()
    assert link.not_listed
    staff = f.staff("Office head")
    client.force_login(staff)
    changelist = client.get(reverse("admin:inspections_activitycomplaint_changelist")).content.decode()
    confirm = reverse("admin:inspections_activitycomplaint_confirm", args=[link.pk])
    assert confirm in changelist
    # The flag's text may reach the department: a phone number is refused next to the field.
    refused = client.post(confirm, {"title": "企业培训班", "explanation": "投诉人13812345678反映"})
    assert refused.status_code == 200 and refused.context["form"].errors["explanation"]
    response = client.post(
        confirm, {"title": "企业培训班", "held_on": "2026-11-20", "explanation": "经核实，未备案举办培训。"}
    )
    flag = ActivityFlag.objects.get()
    assert response["Location"] == reverse("admin:inspections_activityflag_change", args=[flag.pk])
    assert (
        flag.kind == ActivityFlag.Kind.UNFILED
        and flag.department == department
        and flag.complaint_link == link
    )


def test_a_complaint_about_a_cancelled_item_is_linked_to_it(client, department, settings):
    settings.INTAKE_POW_ENABLED = False
    item = af.cancelled(department=department)
    url = reverse("activities_public:complain_cancelled", args=[item.pk])
    assert client.get(url).context["form"].initial["department"] == department.pk
    _complain(client, url, department, "已取消的评选又在组织，要求企业报名并交费。")
    assert ActivityComplaint.objects.get().cancelled_item == item


def test_only_approved_filings_can_be_complained_about_from_the_list(client, department):
    pending = af.approved(department, status=ActivityFiling.Status.FILED)
    assert client.get(reverse("activities_public:complain_filing", args=[pending.pk])).status_code == 404
    assert client.get(reverse("activities_public:complain_cancelled", args=[999999])).status_code == 404


def test_the_department_never_sees_who_complained_from_the_list(client, department, settings):
    settings.INTAKE_POW_ENABLED = False
    filing = af.approved(department)
    _complain(
        client,
        reverse("activities_public:complain_filing", args=[filing.pk]),
        department,
        "被强制参加培训并缴费，不参加就不给年检。",
    )
    client.force_login(f.dept_user(department))
    for url in (reverse("activity_filing:list"), reverse("activity_filing:detail", args=[filing.pk])):
        page = client.get(url).content.decode()
        assert "张三" not in page and "13812345678" not in page and "某某科技" not in page


# --- The staff workplace ---------------------------------------------------------------------


def test_staff_decide_in_the_admin_and_a_refusal_needs_its_reason(client, department):
    filing = af.approved(department, status=ActivityFiling.Status.FILED)
    client.force_login(f.staff("Case handler"))
    changelist = client.get(reverse("admin:inspections_activityfiling_changelist")).content.decode()
    refuse = reverse("admin:inspections_activityfiling_refuse", args=[filing.pk])
    assert refuse in changelist
    assert client.post(refuse, {"note": ""}).context["form"].errors["note"]
    response = client.post(
        reverse("admin:inspections_activityfiling_approve_no_fee", args=[filing.pk]), {"note": ""}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == ActivityFiling.Status.APPROVED_NO_FEE


def test_a_leader_reads_but_cannot_decide(client, department):
    filing = af.approved(department, status=ActivityFiling.Status.FILED)
    client.force_login(f.staff("Leader"))
    assert client.get(reverse("admin:inspections_activityfiling_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:inspections_activityfiling_approve", args=[filing.pk]), {}).status_code
        == 403
    )


def test_cancelled_items_are_recorded_and_cannot_be_changed_or_deleted(client, department):
    client.force_login(f.staff("Office head"))
    add = reverse("admin:inspections_cancelledactivity_add")
    response = client.post(add, {"kind": "award", "name": "诚信示范企业评选", "cancelled_on": "2026-05-01"})
    assert response.status_code == 302
    item = CancelledActivity.objects.get()
    assert (
        client.post(add, {"kind": "award", "name": "诚信 示范企业评选", "cancelled_on": "2026-05-01"})
        .context["form"]
        .errors["name"]
    )
    assert (
        client.post(
            reverse("admin:inspections_cancelledactivity_delete", args=[item.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert CancelledActivity.objects.count() == 1


def test_staff_report_an_unfiled_training_and_open_a_case_from_the_flag(client, department):
    client.force_login(f.staff("Office head"))
    response = client.post(
        reverse("admin:inspections_activityflag_add"),
        {
            "kind": "unfiled",
            "department": department.pk,
            "title": "财务人员继续教育",
            "explanation": "未备案举办。",
        },
    )
    flag = ActivityFlag.objects.get()
    assert response["Location"] == reverse("admin:inspections_activityflag_change", args=[flag.pk])
    changelist = client.get(reverse("admin:inspections_activityflag_changelist")).content.decode()
    open_case = reverse("admin:inspections_activityflag_open_case", args=[flag.pk])
    assert open_case in changelist
    response = client.post(open_case, {"category": Category.TRAINING, "description": "未备案举办培训。"})
    case = Case.objects.get()
    assert response["Location"] == reverse("admin:casework_case_change", args=[case.pk])
    assert case.complaint_links.get().complaint.channel == Channel.ACTIVITY_FILING


@pytest.mark.parametrize(
    "name",
    ["activityfiling", "activityflag", "activitycomplaint", "cancelledactivity"],
)
def test_admin_lists_run_in_constant_queries(client, department, name):
    client.force_login(f.staff("Office head"))
    url = reverse(f"admin:inspections_{name}_changelist")

    def add_rows(n):
        staff = f.staff()
        for i in range(n):
            dept = f.department()
            filing = af.approved(dept, title=f"培训{i}{n}", status=ActivityFiling.Status.APPROVED_NO_FEE)
            item = af.cancelled(f"某某评比达标活动{i}{n}", department=dept)
            complaint = complaint_factories.submit(category=Category.TRAINING, department=dept).complaint
            link = services.activity_complaint_link(complaint=complaint, filing=filing if i % 2 else None)
            services.activity_flag_raise(
                kind="fee", title="", explanation="收费。", filing=filing, actor=staff
            )
            services.activity_flag_raise(
                kind="cancelled_held", title="", explanation="又举办。", cancelled_item=item, actor=staff
            )
            if i % 2 == 0:
                services.activity_flag_from_complaint(
                    link=link, title="某培训", held_on=None, explanation="经核实。", actor=staff
                )

    add_rows(2)
    few = _queries(client, url)
    add_rows(6)
    assert _queries(client, url) == few


def test_the_department_list_runs_in_constant_queries(client, department):
    client.force_login(f.dept_user(department))
    url = reverse("activity_filing:list")
    af.approved(department)
    few = _queries(client, url)
    for n in range(10):
        af.approved(department, title=f"培训{n}", status=ActivityFiling.Status.REFUSED)
    assert _queries(client, url) == few


SCRIPT = "<script>alert(1)</script>"


def test_script_typed_in_any_text_comes_back_escaped(client, department):
    filing = af.approved(
        department, title=f"培训{SCRIPT}", organiser=SCRIPT, audience=SCRIPT, description=SCRIPT
    )
    af.cancelled(f"评比{SCRIPT}", department=department, document=SCRIPT)
    staff = f.staff("Office head")
    flag = services.activity_flag_raise(
        kind="fee",
        title=SCRIPT,
        explanation=SCRIPT,
        filing=af.approved(department, status="approved_no_fee", title=f"免费{SCRIPT}"),
        actor=staff,
    )
    pages = [(client, PUBLIC), (client, reverse("activities_public:complain_filing", args=[filing.pk]))]
    dept_client = type(client)()
    dept_client.force_login(f.dept_user(department))
    pages += [
        (dept_client, reverse("activity_filing:list")),
        (dept_client, reverse("activity_filing:detail", args=[filing.pk])),
    ]
    staff_client = type(client)()
    staff_client.force_login(staff)
    pages += [
        (staff_client, reverse(f"admin:inspections_{name}_changelist"))
        for name in ("activityfiling", "activityflag", "cancelledactivity")
    ]
    pages += [
        (staff_client, reverse("admin:inspections_activityfiling_change", args=[filing.pk])),
        (staff_client, reverse("admin:inspections_activityflag_change", args=[flag.pk])),
        (staff_client, reverse("admin:inspections_activityflag_dismiss", args=[flag.pk])),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert SCRIPT not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
