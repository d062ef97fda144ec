"""The liaison-point and supervisor portal: they file complaints on behalf of enterprises and
follow what became of them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from complaints.models import Channel
from complaints.portal_forms import OnBehalfComplaintForm
from complaints.selectors import complaint_list_for_filer, complaint_public_timeline
from complaints.services import complaint_submit
from complaints.views import receipt_keep
from liaison.models import Appointment, LiaisonPoint, Supervisor


def _appointment_of(user) -> tuple[str, LiaisonPoint | None, Supervisor | None]:
    """The user's appointment while it is active and within its term; an ended one files nothing."""
    today = timezone.localdate()
    current = Q(status=Appointment.Status.ACTIVE) & (
        Q(term_ends_on__isnull=True) | Q(term_ends_on__gte=today)
    )
    point = LiaisonPoint.objects.filter(current, user=user).first()
    if point is not None:
        return Channel.LIAISON_POINT, point, None
    supervisor = Supervisor.objects.filter(current, user=user).first()
    if supervisor is not None:
        return Channel.SUPERVISOR, None, supervisor
    return "", None, None


@login_required
@permission_required("liaison.access_liaison_portal", raise_exception=True)
def portal_home(request):
    # The enterprise's name as the liaison typed it, to tell the rows apart (none if anonymous).
    complaints = complaint_list_for_filer(request.user).select_related("identity")[:200]
    _channel, point, supervisor = _appointment_of(request.user)
    return render(
        request,
        "complaints/portal_home.html",
        {"complaints": complaints, "point": point, "supervisor": supervisor},
    )


@login_required
@permission_required("liaison.access_liaison_portal", raise_exception=True)
@require_http_methods(["GET", "POST"])
def portal_new(request):
    channel, point, supervisor = _appointment_of(request.user)
    if not channel:
        messages.error(
            request,
            _(
                "Your account is not linked to a current liaison point or supervisor appointment. "
                "Ask the complaint centre."
            ),
        )
        return redirect("liaison_portal:home")
    if request.method == "POST":
        form = OnBehalfComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            submitted = complaint_submit(
                data=form.complaint_data(),
                identity=form.identity_data(),
                uploads=form.cleaned_data["uploads"],
                channel=channel,
                source=str(point or supervisor),
                actor=request.user,
                liaison_point=point,
                supervisor=supervisor,
            )
            # The receipt page tells the liaison to hand the code to the enterprise.
            return receipt_keep(
                redirect("complaints:submitted"),
                submitted,
                emailed=bool(form.cleaned_data.get("email")),
                on_behalf=True,
            )
    else:
        form = OnBehalfComplaintForm()
    return render(
        request, "complaints/portal_new.html", {"form": form, "point": point, "supervisor": supervisor}
    )


@login_required
@permission_required("liaison.access_liaison_portal", raise_exception=True)
def portal_complaint(request, pk: int):
    """One complaint the user filed: what they typed and its public progress, as the tracking
    page shows it (read only: adding information and rating need the enterprise's code). Someone
    else's complaint is not found, whoever filed it."""
    complaint = get_object_or_404(
        complaint_list_for_filer(request.user).select_related("identity", "liaison_point", "supervisor"),
        pk=pk,
    )
    # The public steps only: not the messages with the centre, which the enterprise writes with
    # its code and which may say who it is (an anonymous one too).
    timeline = complaint_public_timeline(complaint)
    return render(
        request,
        "complaints/portal_complaint.html",
        {
            "complaint": complaint,
            "identity": None if complaint.is_anonymous else getattr(complaint, "identity", None),
            "files": timeline["filed_files"],
            "entries": timeline["entries"],
        },
    )
