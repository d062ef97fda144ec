"""Figures of the directory's instruments (issue 16) for a quarter: complaints about trade
associations and intermediaries, per association and per supervising department, and calls to
the conduct hotline. Three aggregate statements whatever the numbers. Staff read every row with
a link to the complaints behind it; the public page (/figures/) reads totals only; the dispatch
pack reads every row, without links, for who may see complaints. A module beside the three rooms
of reports (the dashboard and the ledger both read it), as activity_figures is."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import Category, Channel, Complaint
from core.periods import Period
from liaison.models import Association
from reports.xlsx import Cell, Sheet

# Per association, the staff dashboard lists this many, most complained about first.
TOP_ASSOCIATIONS = 10


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int
    url: str = ""
    detail: str = ""


@dataclass
class DirectoryFigures:
    quarter: Period
    association_total: int = 0  # complaints in the category, an association named or not
    by_kind: list[CountRow] = field(default_factory=list)
    by_association: list[CountRow] = field(default_factory=list)
    by_supervisor: list[CountRow] = field(default_factory=list)
    hotline_total: int = 0
    hotline_by_category: list[CountRow] = field(default_factory=list)


def _complaints_url(quarter: Period, **filters) -> str:
    query = {
        "received_at__gte": quarter.start.isoformat(),
        "received_at__lt": quarter.end.isoformat(),
        **filters,
    }
    return reverse("admin:complaints_complaint_changelist") + "?" + urlencode(query)


def directory_figures(
    quarter: Period, *, links: bool = False, top: int | None = TOP_ASSOCIATIONS
) -> DirectoryFigures:
    """Complaints received in ``quarter`` about associations and intermediaries, and calls to
    the conduct hotline; with ``links``, each count leads to its complaints in the workplace.
    ``top`` associations are listed, most complained about first (all with ``None``)."""
    received = Complaint.objects.filter(received_at__gte=quarter.start, received_at__lt=quarter.end)
    about = received.filter(category=Category.ASSOCIATIONS)
    figures = DirectoryFigures(quarter=quarter)

    kinds = dict(Association.Kind.choices)
    rows = list(
        about.order_by()
        .values("association_id", "association__name", "association__kind", "department__name")
        .annotate(n=Count("id"))
    )
    figures.association_total = sum(row["n"] for row in rows)
    per_kind: dict[str | None, int] = {}
    per_association: dict[int, CountRow] = {}
    per_supervisor: dict[str, int] = {}
    for row in rows:
        per_kind[row["association__kind"]] = per_kind.get(row["association__kind"], 0) + row["n"]
        if row["association_id"] is None:
            continue
        before = per_association.get(row["association_id"])
        per_association[row["association_id"]] = CountRow(
            label=row["association__name"],
            count=(before.count if before else 0) + row["n"],
            url=_complaints_url(quarter, association__id__exact=row["association_id"]) if links else "",
            detail=str(kinds.get(row["association__kind"], "")),
        )
    figures.by_kind = [
        CountRow(label=str(label), count=per_kind.get(value, 0)) for value, label in Association.Kind.choices
    ] + [CountRow(label=str(_("No association named")), count=per_kind.get(None, 0))]
    figures.by_association = sorted(per_association.values(), key=lambda r: (-r.count, r.label))[:top]
    # Per supervising department: the association's supervisor, whatever unit the complaint named.
    for row in (
        about.filter(association__isnull=False)
        .order_by()
        .values("association__supervising_department_id", "association__supervising_department__name")
        .annotate(n=Count("id"))
    ):
        per_supervisor[row["association__supervising_department__name"]] = row["n"]
    figures.by_supervisor = [
        CountRow(label=name, count=n)
        for name, n in sorted(per_supervisor.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    hotline = received.filter(channel=Channel.CONDUCT_HOTLINE)
    categories = dict(Category.choices)
    counts = dict(hotline.order_by().values_list("category").annotate(n=Count("id")))
    figures.hotline_total = sum(counts.values())
    figures.hotline_by_category = [
        CountRow(
            label=str(categories.get(value, value)),
            count=n,
            url=_complaints_url(quarter, channel__exact=Channel.CONDUCT_HOTLINE, category__exact=value)
            if links
            else "",
        )
        for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(categories.get(kv[0], kv[0]))))
    ]
    return figures


def directory_context(quarter: Period, *, public: bool) -> dict:
    """The section's context: the public page gets the totals by kind and the hotline's total
    only, no association, no link."""
    figures = directory_figures(quarter, links=not public)
    if public:
        figures.by_association, figures.by_supervisor, figures.hotline_by_category = [], [], []
    return {"directory_figures": figures, "directory_public": public}


def _pack_rows(figures: DirectoryFigures) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        [str(_("Complaints about associations and intermediaries")), "", "", figures.association_total]
    ]
    rows += [[str(_("By kind")), row.label, "", row.count] for row in figures.by_kind]
    rows += [
        [str(_("By association or intermediary")), row.label, row.detail, row.count]
        for row in figures.by_association
    ]
    rows += [[str(_("By supervising department")), row.label, "", row.count] for row in figures.by_supervisor]
    rows.append([str(_("Calls to the conduct hotline")), "", "", figures.hotline_total])
    rows += [
        [str(_("Conduct hotline calls by category")), row.label, "", row.count]
        for row in figures.hotline_by_category
    ]
    return rows


def directory_pack_sheet(figures: DirectoryFigures | None, heading) -> Sheet:
    """The dispatch pack's sheet: the totals, then per kind, association, supervising department
    and (hotline calls) category, one row each; for who may see complaints, else the note only."""
    title = str(_("Associations and hotline"))
    hidden = (
        ""
        if figures is not None
        else str(
            _("Complaints about associations and hotline calls are not shown: you may not see complaints.")
        )
    )
    return Sheet(
        title=title,
        heading=heading(title, hidden=hidden),
        header=[
            str(_("Figure")),
            str(pgettext_lazy("association", "Name")),
            str(_("Kind of association")),
            str(_("Number")),
        ],
        rows=[] if figures is None else _pack_rows(figures),
        widths=(40, 36, 18, 10),
    )
