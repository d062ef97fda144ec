from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from casework import receivers
        from complaints.signals import complaint_rated, complaint_supplemented
        from core.deadlines import deadline_listeners

        complaint_rated.connect(receivers.on_complaint_rated, dispatch_uid="casework-rated")
        complaint_supplemented.connect(
            receivers.on_complaint_supplemented, dispatch_uid="casework-supplemented"
        )
        deadline_listeners.register("referral", receivers.on_referral_deadlines_recomputed)
        deadline_listeners.register("recommendation", receivers.on_recommendation_deadlines_recomputed)

        from casework.escalation import ladder_handlers_register

        ladder_handlers_register()
