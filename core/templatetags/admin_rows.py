"""``{% fast_result_list cl %}``: Django's ``{% result_list cl %}`` (the same template,
``change_list_results.html``, found per app and model as Django finds it) with the rows of a
big table rendered by ``core.admin_rows``."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from core.admin_rows import planned_result_list

register = template.Library()


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=planned_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
