from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The login account of a citizen, a business representative or a staff member.

    A custom user model from the first migration, so the identity issue can grow it (phone,
    assurance level, person record) without swapping the model under existing data.
    """

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
