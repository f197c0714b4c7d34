"""What the applicant is told, in their language: decisions, returns, offers. Each notice goes
to the in-app inbox and the email/SMS senders (cityportal.notifications)."""

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from cityportal.notifications.actions import MessageFields, compose_message, notify, notify_many
from identity.models import Person
from services.models import Application, Offer


def _recipient(application: Application) -> Person:
    """The person told about an application: the party, or the representative who made it for
    a business."""
    return application.applicant or application.submitted_by


def _link(application: Application) -> str:
    return f"/api/v1/applications/{application.public_id}"


def _last_event_id(application: Application) -> int | None:
    event = getattr(application, "last_event", None)
    if event is not None:
        return int(event.pk)
    return application.events.order_by("-pk").values_list("pk", flat=True).first()


def application_decided(application: Application, *, reasons: list[str]) -> None:
    """Tell the applicant the outcome their application has just reached, and why."""
    fields = _decided(application, reasons)
    if fields is not None:
        notify(**fields)


def applications_decided(decided: Sequence[tuple[Application, list[str]]]) -> None:
    """`application_decided` for a batch (a deciding run's), in one statement."""
    notify_many(
        [
            compose_message(**fields)
            for application, reasons in decided
            if (fields := _decided(application, reasons)) is not None
        ]
    )


def _decided(application: Application, reasons: list[str]) -> MessageFields | None:
    status = application.status
    if status == Application.Status.APPROVED:
        title = _("Approved: %(service)s (%(reference)s)")
        body = _("Your application %(reference)s for %(service)s was approved. %(reasons)s")
    elif status == Application.Status.REJECTED:
        title = _("Not approved: %(service)s (%(reference)s)")
        body = _(
            "Your application %(reference)s for %(service)s was not approved. Why: %(reasons)s "
            "You may ask for an officer to review this decision."
        )
    elif status == Application.Status.RETURNED:
        title = _("More information needed: %(service)s (%(reference)s)")
        body = _(
            "Your application %(reference)s needs more from you before it can be decided: "
            "%(reasons)s Add it and submit the application again."
        )
    elif status == Application.Status.MANUAL_REVIEW:
        title = _("An officer is reviewing your application %(reference)s")
        body = _("Your application for %(service)s is with an officer. %(reasons)s")
    else:
        return None
    return MessageFields(
        person=_recipient(application),
        kind=f"application.{status}",
        title=title,
        body=body,
        context={
            "reference": application.reference,
            "service": lambda: application.service.name,
            "reasons": " ".join(reasons),
        },
        link=_link(application),
        data={"application": str(application.public_id), "status": status},
        # One notice per transition, however often the task that made it runs.
        dedupe_key=f"application:{application.pk}:event:{_last_event_id(application)}",
    )


def offer_made(offer: Offer) -> None:
    notify(
        person=offer.person,
        kind="offer.made",
        title=_("You may be entitled to %(service)s"),
        body=_(
            "Based on what government already knows, you qualify for %(service)s. Accept the "
            "offer and your application is decided at once."
        ),
        context={"service": lambda: offer.service.name},
        link=f"/api/v1/offers/{offer.public_id}",
        data={"offer": str(offer.public_id), "service": offer.service.code},
        dedupe_key=f"offer:{offer.pk}",
    )
