"""Errors users can cause, and the one handler that maps them to API responses."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A request that is well-formed but not allowed now (e.g. an illegal workflow move).
    Answered with 409 Conflict by the API."""


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


def server_error(request, *args, **kwargs):
    """Django's 500 page, except under /api/, where clients parse JSON: an unexpected error
    there answers ``{"detail": …}`` like every other API error (nothing of the error itself)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Server error.")}, status=500)
    return defaults.server_error(request, *args, **kwargs)
