"""Errors users can cause, and the one handler that maps them to API responses."""

import sys

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.outage import OUTAGE_ERRORS


class ApplicationError(Exception):
    """A request that is well-formed but not allowed now (e.g. an illegal workflow move).
    Answered with 409 Conflict by the API."""


class InvalidTransition(ApplicationError):
    """A workflow step that is not allowed from the object's current state (a case, a referral,
    a notification run…): every app's TRANSITIONS tables raise this one."""


def actor_user(actor):
    """The user to record as having acted, or None for the system (a task, a command, an
    anonymous visitor): services take ``actor`` as they get it and store this."""
    return actor if getattr(actor, "is_authenticated", False) else None


def error_messages(error: Exception) -> list[str]:
    """What a refused service call says, as lines for a message or a form's top."""
    if isinstance(error, DjangoValidationError):
        return error.messages
    return [str(error)]


def form_add_service_error(form, error: Exception) -> None:
    """A refused service call re-renders its form with what was typed: an error the service
    keyed by a field of this form goes on that field, anything else above the form. Never a 500."""
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(error, DjangoValidationError):
        form.add_error(None, error)
    else:
        form.add_error(None, DjangoValidationError(str(error), code="invalid_transition"))


def api_exception_handler(exc, context):
    """DRF's handler, plus: Django ValidationError -> 400 with its messages, ApplicationError -> 409."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return exception_handler(exc, context)


OUTAGE_RETRY_AFTER = 60


def outage_page(request, template: str = "503.html") -> HttpResponse:
    """503 with a translated page (JSON under /api/) and Retry-After: Redis is down."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": gettext("The service is unavailable for a moment. Please try again in a minute.")},
            status=503,
        )
    else:
        response = render(request, template, {"minutes": OUTAGE_RETRY_AFTER // 60}, status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


def server_error(request, *args, **kwargs):
    """Django's 500 page, except under /api/, where clients parse JSON: an unexpected error
    there answers ``{"detail": …}`` like every other API error (nothing of the error itself).
    An error of the broker or the cache being down (core.outage) answers the 503 page instead:
    the pages that need Redis have a fallback, so this is the last net, not the plan."""
    error = sys.exc_info()[1]  # Django calls this handler while handling the uncaught error
    if isinstance(error, OUTAGE_ERRORS):
        return outage_page(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Server error.")}, status=500)
    return defaults.server_error(request, *args, **kwargs)
