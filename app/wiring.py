"""What the feature packages do for the workflow layer, registered when the app is created: the effects that service
tasks name, where each form's answers go, what written answers about a subject must not hold, and, by kind of
subject, its thematic area, the version of a form it is pinned to and how to load it. The workflow and task layers
below import no feature package; this module, at the top beside ``create_app``, imports them all."""

from __future__ import annotations

from typing import Any

from app.accounts import steps as account_steps
from app.documents import queries as document_queries
from app.ernsettings import consent_forms
from app.meetings import steps as meeting_steps
from app.panels import confirmations as panel_confirmations
from app.panels import follow_up as panel_follow_up
from app.panels import material as panel_material
from app.panels import steps as panel_steps
from app.patients import steps as enrolment_steps
from app.patients import transfer
from app.tasks.forms import register_form_versions
from app.tasks.models import OpenTask
from app.tasks.subjects import register_confirmations
from app.tasks.subjects import register_loaders
from app.tasks.subjects import register_materials
from app.tasks.submissions import register_submission_checks
from app.tasks.submissions import register_submissions
from app.tasks.submissions import register_written_answers_checks
from app.workflows.effects import register_effects
from app.workflows.store import register_subject_areas


def wire_workflows() -> None:
    """Register every feature package's effects, form submissions and checks (idempotent: each app created registers them)."""
    register_effects(
        {
            "assign_cpms_id": enrolment_steps.assign_cpms_id,
            "create_account": account_steps.create_account,
            "notify_rejection": account_steps.notify_rejection,
            "remind_coordinators": account_steps.remind_coordinators,
            "set_panel_phase": panel_steps.set_panel_phase,
            "notify_panel": panel_steps.notify_panel,
            "sign_outcome": panel_steps.sign_outcome,
            "finish_panel": panel_steps.finish_panel,
            "notify_invitation": panel_steps.notify_invitation,
            "remind_invitee": panel_steps.remind_invitee,
            "expire_invitation": panel_steps.expire_invitation,
            "notify_data_request": panel_steps.notify_data_request,
            "notify_data_provided": panel_steps.notify_data_provided,
            "transfer_patient": transfer.transfer_patient,
            "decline_transfer": transfer.decline_transfer,
            "send_meeting_invitations": meeting_steps.send_meeting_invitations,
            "remind_meeting": meeting_steps.remind_meeting,
            "send_meeting_update": meeting_steps.send_meeting_update,
            "cancel_meeting": meeting_steps.cancel_meeting,
            "prepare_minutes": meeting_steps.prepare_minutes,
            "notify_follow_up_due": panel_follow_up.notify_follow_up_due,
        }
    )
    register_submissions(
        {
            "enrolment": enrolment_steps.record_enrolment,
            "consultation": panel_steps.submit_consultation,
            "invitation_reply": panel_steps.submit_invitation_reply,
            "contribution": panel_steps.submit_contribution,
            "additional_data": panel_steps.submit_additional_data,
            "outcome": panel_steps.submit_outcome,
            "panel_closing": panel_steps.submit_panel_closing,
            "expert_suggestion": panel_steps.submit_expert_suggestion,
            "transfer_decision": transfer.record_decision,
            "meeting_minutes": meeting_steps.submit_minutes,
            "follow_up": panel_follow_up.submit_follow_up,
        }
    )
    register_submission_checks({"outcome_sign_off": panel_steps.check_sign_off})
    register_written_answers_checks(
        {
            "panel": panel_steps.refuse_identifying_answers,
            "meeting": meeting_steps.refuse_identifying_answers,
            "outcome": panel_follow_up.refuse_identifying_answers,
        }
    )
    register_subject_areas(
        {"panel": panel_steps.thematic_area_of, "meeting": meeting_steps.thematic_area_of, "outcome": panel_follow_up.thematic_area_of}
    )
    register_form_versions({"panel": panel_steps.form_version_of, "meeting": meeting_steps.minutes_form})
    register_loaders(
        {
            "panel": panel_steps.load_panel,
            "transfer": transfer.load,
            "meeting": meeting_steps.load_meeting,
            "outcome": panel_follow_up.load_outcome,
        }
    )
    register_confirmations(
        {
            **panel_confirmations.CONFIRMATIONS,
            "enrolment": enrolment_steps.confirm_enrolment,
            "transfer_decision": transfer.confirm_decision,
        }
    )
    panel_steps.register_closing_steps({"cancel_meetings": meeting_steps.cancel_for_closed_panel})
    register_materials({"panel": _panel_material, "enrolment": consent_forms.for_enrolment})


def _panel_material(task: OpenTask, panel: Any) -> Any:
    """A panel task's material, with the panel's documents listed by the documents package (which builds on panels)."""
    return panel_material.for_task(task, panel, documents=document_queries.for_panel, minutes=meeting_steps.minutes_of_panel)
