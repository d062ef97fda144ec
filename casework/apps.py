from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from casework import receivers
        from casework.services import complaint_next_step_for_case
        from complaints.selectors import next_step_providers
        from complaints.signals import complaint_message_received, complaint_rated, complaint_supplemented
        from core.deadlines import deadline_listeners

        complaint_rated.connect(receivers.on_complaint_rated, dispatch_uid="casework-rated")
        complaint_supplemented.connect(
            receivers.on_complaint_supplemented, dispatch_uid="casework-supplemented"
        )
        complaint_message_received.connect(
            receivers.on_complaint_message_received, dispatch_uid="casework-message-received"
        )
        # The tracking page's "what happens next" once a complaint is in a case.
        next_step_providers.register(complaint_next_step_for_case)
        deadline_listeners.register("referral", receivers.on_referral_deadlines_recomputed)
        deadline_listeners.register("recommendation", receivers.on_recommendation_deadlines_recomputed)

        from casework.escalation import ladder_handlers_register

        ladder_handlers_register()

        from casework.retention import retention_kinds_register

        # The complainants' identities and evidence, purged after their retention period.
        retention_kinds_register()

        from casework.admin.case_export import case_export_kind
        from core.exports import export_kinds

        # The case list's export runs in the background (core.exports).
        export_kinds.register(case_export_kind())
