from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Democratic appraisal of departments (民主评议, seed §三.6) and openness checks (政务公开, §三.4)."""

    name = "appraisal"
    verbose_name = _("Democratic appraisal and openness checks")
