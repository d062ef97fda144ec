"""Request guards that must act before the body is read."""

from django.conf import settings
from django.shortcuts import render


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds MAX_REQUEST_BODY_SIZE before anything reads
    it: CSRF checking would otherwise parse the whole upload first. (A front proxy should cap
    bodies too, e.g. nginx client_max_body_size, for requests that declare no length.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = settings.MAX_REQUEST_BODY_SIZE + 1
        if declared > settings.MAX_REQUEST_BODY_SIZE:
            return render(request, "413.html", {"limit": settings.MAX_REQUEST_BODY_SIZE // 2**20}, status=413)
        return self.get_response(request)
