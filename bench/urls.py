"""The project's URLs plus one bare view: the floor the intake's throughput is compared with."""

from django.http import HttpResponse
from django.urls import path

from envopt.urls import urlpatterns as project_patterns


def floor(request):
    """No database, no template, no session: what the server and Django cost by themselves."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_patterns]
