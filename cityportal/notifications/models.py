import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import Person


class Message(models.Model):
    """One message in a person's inbox, written in their language at the time it was sent."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        INBOX_ONLY = "inbox_only", _("inbox only (no email or phone)")
        FAILED = "failed", _("failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        Person, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=60)
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Makes sending the same notice twice (a task run twice) write one message.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    delivery = models.CharField(
        _("delivery"), max_length=12, choices=Delivery.choices, default=Delivery.PENDING
    )
    # The channels the recipient asked to hear by besides the inbox ("email", "sms"); null
    # means every channel they can be reached by. An empty list keeps the message in the inbox.
    send_by = models.JSONField(_("send by"), null=True, blank=True)
    channels = models.JSONField(_("delivered by"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="message_dedupe",
            )
        ]
        indexes = [models.Index(fields=["recipient", "-id"], name="message_inbox_idx")]

    def __str__(self) -> str:
        return self.title
