"""Roles as data: one Django group per role, with the permissions its work needs and no more.

Each later app adds its permissions to the table below. ``roles_install`` makes the
groups match the table exactly (a permission removed here is removed from the group),
and runs after every ``migrate``.

A group's stored name is the role's stable key ("Intake officer"): code, tests and existing
databases find the group by it, and it stays the same whatever language a user reads. People
read the role's translated label instead: ``role_group_label`` (installed as ``Group.__str__``
by the setup app) shows it wherever the admin names a group (the group list and pages, the
user form's group picker, filters), in the reader's language.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

DIRECTORY_VIEW = [
    "liaison.view_department",
    "liaison.view_office",
    "liaison.view_liaisonpoint",
    "liaison.view_supervisor",
    "liaison.view_liaisonvisit",
    # Associations and intermediaries with their fee schedules, and the leading group (issue 16).
    "liaison.view_association",
    "liaison.view_feeschedule",
    "liaison.view_leadinggroupmember",
]
# Keeping the associations' entries, their fee schedules and the leading group (issue 16).
ASSOCIATION_DIRECTORY = [
    "liaison.add_association",
    "liaison.change_association",
    "liaison.add_feeschedule",
    "liaison.change_feeschedule",
    "liaison.delete_feeschedule",
    "liaison.add_leadinggroupmember",
    "liaison.change_leadinggroupmember",
    "liaison.delete_leadinggroupmember",
]
# Keeping the liaison log is everyday work of the centre's staff.
LIAISON_LOG = ["liaison.add_liaisonvisit", "liaison.change_liaisonvisit"]

COMPLAINT_VIEW = [
    "complaints.view_complaint",
    "complaints.view_supplement",
    "complaints.view_attachment",
    "complaints.view_publicupdate",
    "complaints.view_rating",
]

# The complaint mailbox's record (issue 18): read it, mark what was dealt with.
MAILBOX_WORK = ["complaints.view_mailboxmessage", "complaints.change_mailboxmessage"]

CASE_VIEW = [
    "casework.view_case",
    "casework.view_caseevent",
    "casework.view_referral",
    "casework.view_handlingreport",
    "casework.view_review",
    "casework.view_recommendation",
    "casework.view_accountabilitytalk",
    "casework.view_unannouncedvisit",
    "casework.view_referralperiod",
    "casework.view_extensionrequest",
]
CASE_WORK = [
    *CASE_VIEW,
    *LIAISON_LOG,
    "casework.handle_case",
    "casework.add_accountabilitytalk",
    "casework.change_accountabilitytalk",
    "casework.add_unannouncedvisit",
    "casework.change_unannouncedvisit",
]

NOTIFICATION_WORK = [
    "reports.add_notificationrun",
    "reports.change_notificationrun",
    "reports.view_notificationrun",
    "reports.view_notificationreport",
]

LEDGER_WORK = [
    "reports.add_ledgertask",
    "reports.change_ledgertask",
    "reports.view_ledgertask",
    "reports.add_ledgerprogress",
    "reports.view_ledgerprogress",
]
DISPATCH_WORK = [
    "reports.add_dispatchmeeting",
    "reports.change_dispatchmeeting",
    "reports.view_dispatchmeeting",
    "reports.delete_dispatchmeeting",
    "reports.add_actionitem",
    "reports.view_actionitem",
]
LEDGER_VIEW = [
    "reports.view_ledgertask",
    "reports.view_ledgerprogress",
    "reports.view_dispatchmeeting",
    "reports.view_actionitem",
]

# Inspections of enterprises (issue 14): the registry, the lists, the filings and their flags.
INSPECTION_VIEW = [
    "liaison.view_enterprise",
    "inspections.view_inspectingunit",
    "inspections.view_inspectionitem",
    "inspections.view_inspectionplan",
    "inspections.view_inspection",
    "inspections.view_inspectionflag",
    # The enterprises behind the dashboard's enterprise figures (inspections.admin.enterprises).
    "inspections.view_inspectedenterprise",
]
# Individual ratings show their inspection and enterprise only to holders of the identity
# permission (the ratings admin); the others read scores and comments without them.
INSPECTION_WORK = [*INSPECTION_VIEW, "inspections.decide_inspection", "inspections.view_inspectionrating"]
INSPECTION_DIRECTORY = [
    "liaison.add_enterprise",
    "liaison.change_enterprise",
    "inspections.add_inspectingunit",
    "inspections.change_inspectingunit",
    "inspections.add_inspectionitem",
    "inspections.change_inspectionitem",
    "inspections.change_inspectionplan",
    "inspections.view_supervisioncode",
    "inspections.change_supervisioncode",
]

# Electronic supervision of approvals (issue 15): the catalogue, the records and their signals.
APPROVAL_VIEW = [
    "approvals.view_approvalitem",
    "approvals.view_approvalstep",
    "approvals.view_approvalfee",
    "approvals.view_approvalrecord",
    "approvals.view_approvalstepevent",
    "approvals.view_approvalfeecharge",
    "approvals.view_approvalsignal",
]
APPROVAL_CATALOGUE = [
    "approvals.add_approvalitem",
    "approvals.change_approvalitem",
    "approvals.add_approvalstep",
    "approvals.change_approvalstep",
    "approvals.delete_approvalstep",
    "approvals.add_approvalfee",
    "approvals.change_approvalfee",
    "approvals.delete_approvalfee",
    # Importing records from a file (the halls' systems push them through the API).
    "approvals.push_records",
]
# Reviewing corrections of red signals and opening cases from them: who handles cases (opening one
# also needs casework.handle_case).
APPROVAL_SIGNAL_WORK = ["approvals.decide_signal"]
# Openness checks (政务公开): reading campaigns, findings and results; recording findings and deciding
# on rectifications and demonstration sites (a serious failure also needs casework.handle_case);
# setting campaigns and their checklists up.
OPENNESS_VIEW = [
    "appraisal.view_opennesscampaign",
    "appraisal.view_checklistitem",
    "appraisal.view_opennessfinding",
    "appraisal.view_findingevidence",
    "appraisal.view_demonstrationsite",
]
OPENNESS_WORK = [
    *OPENNESS_VIEW,
    "appraisal.record_openness_finding",
    "appraisal.decide_openness_rectification",
    "appraisal.add_demonstrationsite",
]
OPENNESS_SETUP = [
    "appraisal.add_opennesscampaign",
    "appraisal.change_opennesscampaign",
    "appraisal.add_checklistitem",
    "appraisal.change_checklistitem",
    "appraisal.delete_checklistitem",
]
# Democratic appraisal (民主评议): campaigns and their results; who answered what is seen by nobody.
APPRAISAL_CAMPAIGN_VIEW = ["appraisal.view_campaign", "appraisal.view_question"]
APPRAISAL_CAMPAIGN_WORK = [
    *APPRAISAL_CAMPAIGN_VIEW,
    "appraisal.add_campaign",
    "appraisal.change_campaign",
    "appraisal.add_question",
    "appraisal.change_question",
    "appraisal.delete_question",
    "appraisal.view_invitation",
    "appraisal.add_invitation",
]

ALL_PERMISSIONS = "__all__"

# key: group (the stored name, a stable key), label (what people read), permissions, staff
ROLES: dict[str, dict] = {
    "administrator": {
        "group": "Administrator",
        "label": _("Administrator"),
        "permissions": ALL_PERMISSIONS,
        "staff": True,
    },
    "intake_officer": {
        "group": "Intake officer",
        "label": _("Intake officer"),
        # Intake officers take the calls and letters, so they see who complained.
        "permissions": [
            *DIRECTORY_VIEW,
            *COMPLAINT_VIEW,
            *CASE_WORK,
            *INSPECTION_WORK,
            *APPROVAL_VIEW,
            *OPENNESS_VIEW,
            "complaints.add_complaint",
            "complaints.view_complainant_identity",
            # The complaint mailbox's record (issue 18): what was not filed, for them to deal with.
            *MAILBOX_WORK,
        ],
        "staff": True,
    },
    "case_handler": {
        "group": "Case handler",
        "label": _("Case handler"),
        "permissions": [
            *DIRECTORY_VIEW,
            *COMPLAINT_VIEW,
            *CASE_WORK,
            *INSPECTION_WORK,
            *APPROVAL_VIEW,
            *APPROVAL_SIGNAL_WORK,
            *OPENNESS_WORK,
            *APPRAISAL_CAMPAIGN_VIEW,
            *NOTIFICATION_WORK,
            # Handlers responsible for ledger tasks note their own progress.
            "reports.view_ledgertask",
            "reports.add_ledgerprogress",
            "reports.view_ledgerprogress",
            "complaints.add_complaint",
        ],
        "staff": True,
    },
    "office_head": {
        "group": "Office head",
        "label": _("Office head"),
        "permissions": [
            *DIRECTORY_VIEW,
            *COMPLAINT_VIEW,
            *CASE_WORK,
            *INSPECTION_WORK,
            *INSPECTION_DIRECTORY,
            *ASSOCIATION_DIRECTORY,
            *APPROVAL_VIEW,
            *APPROVAL_CATALOGUE,
            *APPROVAL_SIGNAL_WORK,
            *OPENNESS_WORK,
            *OPENNESS_SETUP,
            *APPRAISAL_CAMPAIGN_WORK,
            "complaints.add_complaint",
            "complaints.view_complainant_identity",
            *MAILBOX_WORK,
            "liaison.change_office",
            # Office heads decide who may see a complainant's identity, and set referral periods.
            "casework.approve_identity_access",
            "casework.view_identityaccessrequest",
            "casework.change_referralperiod",
            "casework.view_dashboard",
            *NOTIFICATION_WORK,
            *LEDGER_WORK,
            *DISPATCH_WORK,
            "reports.delete_notificationrun",
            "reports.approve_notificationrun",
            # The efficiency assessment: its scheme, publishing, and the recommendations to 不合格 units.
            "reports.view_assessmentscheme",
            "reports.change_assessmentscheme",
            "reports.view_efficiencyassessment",
            "reports.publish_efficiencyassessment",
        ],
        "staff": True,
    },
    "leader": {
        "group": "Leader",
        "label": _("Leader"),
        "permissions": [
            *DIRECTORY_VIEW,
            "complaints.view_complaint",
            *CASE_VIEW,
            *INSPECTION_VIEW,
            *APPROVAL_VIEW,
            *OPENNESS_VIEW,
            *APPRAISAL_CAMPAIGN_VIEW,
            "reports.view_notificationrun",
            "reports.view_notificationreport",
            "casework.view_dashboard",
            "reports.view_efficiencyassessment",
            *LEDGER_VIEW,
        ],
        "staff": True,
    },
    "department_user": {
        "group": "Department user",
        "label": _("Department user"),
        "permissions": ["liaison.access_department_portal"],
        "staff": False,
    },
    "inspector": {
        "group": "Department inspector",
        "label": _("Department inspector"),
        # An enforcement officer of a department: files inspections before entry, registers the
        # entry by scanning the enterprise's supervision code, records the outcome.
        "permissions": ["liaison.access_department_portal", "inspections.file_inspection"],
        "staff": False,
    },
    "hall_system": {
        "group": "Service hall system",
        "label": _("Service hall system"),
        # The login of a service hall's approval system (政务服务中心): pushes records through the
        # API and reads the catalogue it maps its items to; reads no record, signal or complaint.
        "permissions": ["approvals.push_records", "approvals.view_approvalitem"],
        "staff": False,
    },
    "liaison_reporter": {
        "group": "Liaison point or supervisor",
        "label": _("Liaison point or supervisor"),
        "permissions": ["liaison.access_liaison_portal"],
        "staff": False,
    },
}


# Trainings and award activities (issue 16): departments file them, staff decide and flag.
ACTIVITY_VIEW = [
    "inspections.view_activityfiling",
    "inspections.view_cancelledactivity",
    "inspections.view_activitycomplaint",
    "inspections.view_activityflag",
]
ACTIVITY_WORK = [*ACTIVITY_VIEW, "inspections.decide_activity"]
for _key, _permissions in {
    "intake_officer": ACTIVITY_WORK,
    "case_handler": ACTIVITY_WORK,
    "office_head": ACTIVITY_WORK,
    "leader": ACTIVITY_VIEW,
    "department_user": ["inspections.file_activity"],
    "inspector": ["inspections.file_activity"],
}.items():
    ROLES[_key]["permissions"] = [*ROLES[_key]["permissions"], *_permissions]


def role_group_label(group: Group) -> str:
    """A group as people read it: a role's group by the role's translated label, any other group
    (made by staff in the admin) by its name."""
    for role in ROLES.values():
        if role["group"] == group.name:
            return str(role["label"])
    return group.name


def is_role_group(group: Group) -> bool:
    """The group is one of the roles' (its name is a key setup_roles looks it up by)."""
    return any(role["group"] == group.name for role in ROLES.values())


def _permissions_for(codes: list[str], *, strict: bool) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type")) if codes else []
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        message = f"Unknown permissions in the role table: {sorted(missing)}"
        if strict:
            raise ImproperlyConfigured(message)
        logger.warning(message)
    return found


@transaction.atomic
def roles_install(*, strict: bool = True) -> dict[str, Group]:
    """Create or update every role's group so that its permissions equal the table's."""
    groups = {}
    for key, role in ROLES.items():
        group, _created = Group.objects.get_or_create(name=role["group"])
        if role["permissions"] == ALL_PERMISSIONS:
            permissions = list(Permission.objects.all())
        else:
            permissions = _permissions_for(role["permissions"], strict=strict)
        group.permissions.set(permissions)
        groups[key] = group
    return groups


def roles_install_after_migrate(sender, using="default", **kwargs) -> None:
    # During a partial migrate some permissions may not exist yet: warn, don't fail.
    roles_install(strict=False)
