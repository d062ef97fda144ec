"""The conduct hotline's number on the public pages (setting CONDUCT_HOTLINE_NUMBER)."""

from django import template

from complaints.hotline import hotline_number

register = template.Library()


@register.inclusion_tag("complaints/_hotline.html")
def conduct_hotline():
    return {"number": hotline_number()}
