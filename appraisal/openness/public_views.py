"""The public list of demonstration sites (示范点) of the openness checks: unit, campaign, method
and the commission's citation (checked by the identity recogniser when it was written)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from appraisal.openness.selectors import demonstration_sites_public

PAGE_SIZE = 50


@require_GET
def demonstration_site_list(request):
    page = Paginator(demonstration_sites_public(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appraisal/openness/public/sites.html", {"page": page})
