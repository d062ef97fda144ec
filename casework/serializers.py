"""Serializers of the API. What a viewer may see is decided by casework.selectors; these only
shape it. One serializer per kind of object, whoever reads it: the parts only some viewers may
see are a nested object that is null for the others (a complaint's ``identity``, a referral's
``case``, a department's ``contact``), so the schema describes one shape.

Free text that can name a complainant (what they wrote, and the case's and referral's texts) is
masked by complaints.selectors.text_for_viewer, the rule of the staff workplace: as written for
staff who may see who complained, the identity removed for everybody else. Who may see is asked
once per request (per page for approved requests), and the identities come prefetched."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import Case, CaseEvent, HandlingReport, Referral
from casework.selectors import case_identities, case_list, identity_visible_ids
from complaints.models import ComplainantIdentity, Complaint
from complaints.selectors import complaint_text_for_viewer, identity_permitted, text_for_viewer
from liaison.models import Department, Office


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice that may not be made yet (a case's disposition or finding): null, not "", so that
    the value is always one of the schema's enum or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class ViewerTextMixin:
    """Masks ``viewer_text_fields`` of a case-file object for viewers without the identity
    permission, with the identities of the case the object belongs to (``case_of``)."""

    viewer_text_fields: tuple[str, ...] = ()

    def case_of(self, instance) -> Case:
        raise NotImplementedError

    def viewer_sees_identity(self) -> bool:
        # Shared by a list and its rows: asked once per request.
        if "identity_permitted" not in self.context:
            self.context["identity_permitted"] = identity_permitted(self.context["request"].user)
        return self.context["identity_permitted"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        can_see = self.viewer_sees_identity()
        if not can_see:
            identities = case_identities(self.case_of(instance))
            for name in self.viewer_text_fields:
                data[name] = text_for_viewer(data[name], identity=identities, can_see=False)
        return data


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "short_name"]


class OfficeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = ["id", "name"]


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(source="get_full_name", read_only=True)


# --- Departments ---------------------------------------------------------------------------


class DepartmentContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = [
            "email",
            "phone",
            "head_name",
            "head_email",
            "supervising_leader",
            "supervising_leader_email",
        ]


def department_contacts_visible_to(viewer) -> bool:
    """The commission's own staff see how to reach a department and its head; nobody else."""
    return bool(viewer.is_staff and viewer.has_perm("liaison.view_department"))


class DepartmentSerializer(serializers.ModelSerializer):
    system_display = serializers.CharField(source="get_system_display", read_only=True)
    contact = serializers.SerializerMethodField(
        help_text=_(
            "E-mail, phone and heads of the department: for the commission's staff only, null otherwise."
        )
    )

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "system", "system_display", "is_key", "contact"]

    @extend_schema_field(DepartmentContactSerializer(allow_null=True))
    def get_contact(self, department: Department) -> dict | None:
        if not department_contacts_visible_to(self.context["request"].user):
            return None
        return DepartmentContactSerializer(department).data


# --- Cases -------------------------------------------------------------------------------


class CaseSerializer(ViewerTextMixin, serializers.ModelSerializer):
    viewer_text_fields = ("title", "finding_note", "result_summary")

    reference = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)
    office = OfficeBriefSerializer(read_only=True, allow_null=True)
    handler = UserBriefSerializer(read_only=True, allow_null=True)
    disposition = BlankAsNullChoiceField(
        choices=Case.Disposition.choices, help_text=_("How the case is handled; null until decided.")
    )
    channel = BlankAsNullChoiceField(
        choices=Case._meta.get_field("channel").choices,
        help_text=_("How the case came in; null for a case opened by the centre itself."),
    )
    finding = BlankAsNullChoiceField(choices=Case.Finding.choices, help_text=_("Null until recorded."))
    # Annotations of casework.selectors.case_list.
    due_date = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Due date of the open referral, if any.")
    )
    overdue = serializers.BooleanField(read_only=True, help_text=_("The open referral is past its due date."))
    unsatisfied = serializers.BooleanField(
        read_only=True, help_text=_("A complainant rated the outcome unsatisfied.")
    )
    complaints = serializers.SlugRelatedField(
        source="complaint_links",
        slug_field="complaint_id",
        many=True,
        read_only=True,
        help_text=_("Ids of the complaints gathered in the case."),
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "status_display",
            "priority",
            "category",
            "department",
            "office",
            "handler",
            "disposition",
            "channel",
            "opened_at",
            "closed_at",
            "due_date",
            "overdue",
            "unsatisfied",
            "escalation_level",
            "taken_over",
            "finding",
            "finding_note",
            "follow_up_on",
            "result_summary",
            "is_typical",
            "reopened_count",
            "complaints",
            "updated_at",
        ]
        read_only_fields = fields

    def case_of(self, case: Case) -> Case:
        return case


class CaseEventSerializer(ViewerTextMixin, serializers.ModelSerializer):
    viewer_text_fields = ("note",)

    case_reference = serializers.CharField(source="case.reference", read_only=True)
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "case",
            "case_reference",
            "at",
            "actor",
            "action",
            "action_display",
            "from_status",
            "to_status",
            "note",
        ]
        read_only_fields = fields

    def case_of(self, event: CaseEvent) -> Case:
        return event.case


# --- Complaints ----------------------------------------------------------------------------


class ComplaintIdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplainantIdentity
        fields = ["contact_name", "phone", "email", "enterprise_name", "credit_code"]


class ComplaintListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        complaints = list(data.all() if hasattr(data, "all") else data)
        # One question per page, not one per complaint.
        self.context["identity_visible_ids"] = identity_visible_ids(
            self.context["request"].user, [complaint.pk for complaint in complaints]
        )
        return super().to_representation(complaints)


class ComplaintSerializer(serializers.ModelSerializer):
    """What the complainant said, never who they are: ``identity`` is filled only when the view
    says so (the detail, for a viewer casework.selectors.identity_visible_to allows). The text is
    as written for such a viewer, and masked for every other (lists included)."""

    TEXT_FIELDS = ("description", "desired_outcome", "occurred_place")

    reference = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)
    case = serializers.IntegerField(
        source="case_link.case_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the case, once accepted."),
    )
    identity = serializers.SerializerMethodField(
        help_text=_(
            "Who complained. Only in the detail of a complaint and only for staff allowed to see it "
            "(every look is recorded); null otherwise and for anonymous complaints."
        )
    )

    class Meta:
        model = Complaint
        list_serializer_class = ComplaintListSerializer
        fields = [
            "id",
            "reference",
            "status",
            "status_display",
            "channel",
            "complainant_type",
            "is_anonymous",
            "department",
            "department_text",
            "category",
            "occurred_on",
            "occurred_place",
            "description",
            "desired_outcome",
            "received_at",
            "case",
            "identity",
        ]
        read_only_fields = fields

    @extend_schema_field(ComplaintIdentitySerializer(allow_null=True))
    def get_identity(self, complaint: Complaint) -> dict | None:
        if not self.context.get("identity_shown"):
            return None
        identity = getattr(complaint, "identity", None) if not complaint.is_anonymous else None
        return ComplaintIdentitySerializer(identity).data if identity is not None else None

    def to_representation(self, complaint: Complaint):
        data = super().to_representation(complaint)
        visible = self.context.get("identity_visible_ids")
        if visible is None:
            visible = identity_visible_ids(self.context["request"].user, [complaint.pk])
        for name in self.TEXT_FIELDS:
            data[name] = complaint_text_for_viewer(complaint, name, can_see=complaint.pk in visible)
        return data


# --- Referrals -----------------------------------------------------------------------------


class ReferralCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "title"]


class ReferralListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        referrals = list(data.all() if hasattr(data, "all") else data)
        # One question per page to the case selector rather than one per referral.
        self.context["visible_case_ids"] = visible_case_ids(self.context["request"].user, referrals)
        return super().to_representation(referrals)


def visible_case_ids(viewer, referrals) -> set[int]:
    """The cases of these referrals that the viewer may see, by casework.selectors.case_list."""
    ids = {referral.case_id for referral in referrals}
    return set(case_list(viewer=viewer).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


class ReferralSerializer(ViewerTextMixin, serializers.ModelSerializer):
    """A referral as its department reads it: the released text, never the case file. The
    ``case`` (id and title) is added only for viewers who may see the case itself. The released
    text was checked before it was sent; it is masked again on the way out all the same, for a
    referral released before the check knew every way of writing a name."""

    viewer_text_fields = ("released_text", "instructions")

    case_reference = serializers.CharField(source="case.reference", read_only=True)
    case = serializers.SerializerMethodField(
        help_text=_(
            "The case, for viewers who may see it; null for the department, which sees its reference only."
        )
    )
    department = DepartmentBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Referral
        list_serializer_class = ReferralListSerializer
        fields = [
            "id",
            "case_reference",
            "case",
            "department",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "round",
            "released_text",
            "instructions",
            "due_date",
            "sent_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReferralCaseSerializer(allow_null=True))
    def get_case(self, referral: Referral) -> dict | None:
        visible = self.context.get("visible_case_ids")
        if visible is None:
            visible = visible_case_ids(self.context["request"].user, [referral])
        if referral.case_id not in visible:
            return None
        data = ReferralCaseSerializer(referral.case).data
        if not self.viewer_sees_identity():
            data["title"] = text_for_viewer(
                data["title"], identity=case_identities(referral.case), can_see=False
            )
        return data

    def case_of(self, referral: Referral) -> Case:
        return referral.case


# Something other than spaces, and no NUL character (PostgreSQL cannot store one in text).
SOMETHING_WRITTEN = RegexValidator(r"^[^\x00]*\S[^\x00]*$", message=_("Write something here."), code="blank")


class ReferralReportSerializer(serializers.Serializer):
    """The department's handling report (办理报告). Facts and measures must say something (the
    schema's pattern says so too); the service checks the rest."""

    facts = serializers.CharField(
        trim_whitespace=False, label=_("facts found"), validators=[SOMETHING_WRITTEN]
    )
    finding = serializers.ChoiceField(choices=Case.Finding.choices, label=_("finding"))
    measures = serializers.CharField(
        trim_whitespace=False, label=_("measures taken"), validators=[SOMETHING_WRITTEN]
    )


class HandlingReportSerializer(serializers.ModelSerializer):
    finding_display = serializers.CharField(source="get_finding_display", read_only=True)

    class Meta:
        model = HandlingReport
        fields = [
            "id",
            "referral",
            "round",
            "facts",
            "finding",
            "finding_display",
            "measures",
            "submitted_at",
        ]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
