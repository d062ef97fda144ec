"""Trade associations and market intermediaries (seed §三.8): the checks on a filed fee
schedule's document, and the reads the admin, the API and the figures share."""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from liaison.models import Association

FEE_DOCUMENT_MAX_SIZE = 10 * 2**20


def fee_document_check(upload) -> None:
    """A fee schedule's document is a PDF of at most 10 MB, judged by its content, not its name."""
    if upload.size > FEE_DOCUMENT_MAX_SIZE:
        raise ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": FEE_DOCUMENT_MAX_SIZE // 2**20},
            code="too_big",
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(_("The document must be a PDF file."), code="not_pdf")


def association_list(*, filters: dict | None = None) -> QuerySet[Association]:
    """Associations and intermediaries with their departments and the number of fee items, for the
    staff's lists and the API: one query whatever the length."""
    filters = filters or {}
    queryset = Association.objects.select_related("supervising_department", "registration_department")
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("supervising_department"):
        queryset = queryset.filter(supervising_department_id=filters["supervising_department"])
    if filters.get("is_active") is not None:
        queryset = queryset.filter(is_active=filters["is_active"])
    if filters.get("q"):
        term = filters["q"]
        queryset = queryset.filter(
            Q(name__icontains=term) | Q(short_name__icontains=term) | Q(credit_code__iexact=term)
        )
    return queryset.annotate(fee_count=Count("fees", distinct=True)).order_by("name", "pk")
