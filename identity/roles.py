"""What each agency role may do in the admin. A staff member's Membership roles grant these
Django permissions through RolePermissionBackend, so adding or removing a membership changes
what they can do at once, with no groups to keep in step. Which rows they see is decided by each
admin's queryset (their agency's), not here.

Superusers (platform administrators) keep every permission through Django's ModelBackend.
"""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from identity.queries import roles_of

VIEW, CHANGE, ADD, DELETE = "view", "change", "add", "delete"


def _perms(app: str, model: str, *actions: str) -> set[str]:
    return {f"{app}.{action}_{model}" for action in actions}


# Every role sees its agency's catalogue and the applications it handles.
_OFFICER = (
    _perms("services", "service", VIEW)
    | _perms("services", "ruleset", VIEW)
    | _perms("services", "check", VIEW)
    | _perms("services", "ruletestcase", VIEW)
    | _perms("services", "application", VIEW)
    | _perms("services", "applicationevent", VIEW)
    | _perms("services", "bundle", VIEW)
    | _perms("services", "offer", VIEW)
    | _perms("services", "offerrun", VIEW)
    | _perms("complaints", "workingcalendar", VIEW)
    | _perms("complaints", "publicholiday", VIEW)
)
# Supervisors manage their agency's services and approval rules.
_SUPERVISOR = (
    _OFFICER
    | _perms("services", "service", CHANGE, ADD)
    | _perms("services", "fee", VIEW, CHANGE, ADD, DELETE)
    | _perms("services", "evidencerequirement", VIEW, CHANGE, ADD, DELETE)
    | _perms("services", "ruleset", CHANGE, ADD, DELETE)
    | _perms("services", "check", CHANGE, ADD, DELETE)
    | _perms("services", "ruletestcase", CHANGE, ADD, DELETE)
    | _perms("services", "offerrun", CHANGE)
)
_DISPATCHER = _OFFICER

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset(_OFFICER),
    "supervisor": frozenset(_SUPERVISOR),
    "dispatcher": frozenset(_DISPATCHER),
}


class RolePermissionBackend(BaseBackend):
    """Grants active staff the permissions of their agency roles (ROLE_PERMISSIONS)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not (user_obj.is_active and user_obj.is_staff) or obj is not None:
            return set()
        cached = getattr(user_obj, "_role_perm_cache", None)
        if cached is None:
            roles = {membership.role for membership in roles_of(user_obj)}
            cached = set().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))
            user_obj._role_perm_cache = cached
        return cached

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


# The complaints catalogue (complaints/admin/catalogue.py): every role looks at the categories,
# questions, districts, routing rules and escalation ladders of its agency's jurisdiction and
# those beneath it; supervisors manage them, except districts (platform administrators draw
# the map every agency routes by).
_COMPLAINT_CATALOGUE = (
    "complaintcategory",
    "question",
    "questionchoice",
    "routingrule",
    "escalationlevel",
)
_CATALOGUE_VIEW = _perms("complaints", "district", VIEW).union(
    *(_perms("complaints", model, VIEW) for model in _COMPLAINT_CATALOGUE)
)
_CATALOGUE_MANAGE = set[str]().union(
    *(_perms("complaints", model, ADD, CHANGE, DELETE) for model in _COMPLAINT_CATALOGUE)
)
ROLE_PERMISSIONS = {
    role: permissions | _CATALOGUE_VIEW | (_CATALOGUE_MANAGE if role == "supervisor" else set())
    for role, permissions in ROLE_PERMISSIONS.items()
}


# Complaint handling (complaints/admin/complaints.py): every role reads the complaints it may
# see, with their history and photos; nothing is edited in admin — changes go through the
# handling actions. Supervisors read their agency's escalations; dispatchers have the dispatch
# queue.
_COMPLAINTS_READ = set[str]().union(
    *(_perms("complaints", model, VIEW) for model in ("complaint", "complaintevent", "photo"))
)
_COMPLAINT_ROLE_PERMISSIONS = {
    "officer": _COMPLAINTS_READ,
    "supervisor": _COMPLAINTS_READ | _perms("complaints", "escalation", VIEW),
    "dispatcher": _COMPLAINTS_READ | _perms("complaints", "dispatchqueuecomplaint", VIEW),
}
ROLE_PERMISSIONS = {
    role: permissions | _COMPLAINT_ROLE_PERMISSIONS.get(role, set())
    for role, permissions in ROLE_PERMISSIONS.items()
}
