"""Agency roles grant admin permissions: an officer views applications, a supervisor also edits
rule sets; staff without a membership get nothing from their role. The roles are read once per
request for everything that asks, and an account answers permission checks as its backends
would, from what they grant it."""

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_backends
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.admin.catalogue import catalogue_scope
from complaints.permissions import staff_scope
from identity.models import User
from identity.roles import ROLE_PERMISSIONS
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_an_officer_may_view_applications_but_not_change_rule_sets():
    officer = MembershipFactory.create(role="officer").user

    assert officer.has_perm("services.view_application")
    assert officer.has_perm("services.view_ruleset")
    assert not officer.has_perm("services.change_ruleset")
    assert officer.has_module_perms("services")


def test_a_supervisor_manages_rule_sets():
    supervisor = MembershipFactory.create(role="supervisor").user

    assert supervisor.has_perm("services.change_ruleset")
    assert supervisor.has_perm("services.add_check")
    assert not supervisor.has_perm("identity.change_person")


def test_staff_without_a_membership_have_no_role_permissions():
    staff = StaffFactory.create()

    assert not staff.has_perm("services.view_application")
    assert not staff.has_module_perms("services")


def test_an_inactive_or_non_staff_member_gets_nothing():
    membership = MembershipFactory.create(role="supervisor")
    user = membership.user
    user.is_staff = False
    user.save()

    assert not user.has_perm("services.view_application")


def test_the_roles_the_admin_asks_about_are_read_once_per_request(rf):
    # given: a dispatcher who also supervises another agency, as the admin sees them
    dispatcher = MembershipFactory.create(role="dispatcher")
    user = dispatcher.user
    supervisor = MembershipFactory.create(user=user, role="supervisor")
    request = rf.get("/admin/")
    request.user = user
    # when: the role permissions, the complaints' staff scope and the catalogue's scope
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("complaints.view_dispatchqueuecomplaint")
        scope = staff_scope(user)
        catalogue = catalogue_scope(request)
    # then
    membership_reads = [q for q in queries if "identity_membership" in q["sql"]]
    assert len(membership_reads) == 1
    assert scope.supervising == {supervisor.agency_id}
    assert dispatcher.agency.jurisdiction_id in scope.dispatching
    assert catalogue.supervised == {supervisor.agency.jurisdiction_id}
    assert catalogue.edits_anything


def _accounts() -> dict[str, User]:
    """One of each kind the admin meets: every role, a member of an inactive agency, an account
    given a permission directly and through a group, inactive and non-staff members, a
    superuser and an inactive one, and staff with nothing."""
    accounts = {role: MembershipFactory.create(role=role).user for role in ROLE_PERMISSIONS}
    accounts["inactive agency"] = MembershipFactory.create(
        role="supervisor", agency__is_active=False
    ).user
    direct = accounts["direct and group"] = StaffFactory.create()
    direct.user_permissions.add(Permission.objects.get(codename="view_bill"))
    group = Group.objects.create(name="payments desk")
    group.permissions.add(Permission.objects.get(codename="change_refund"))
    direct.groups.add(group)
    for kind, change in (("inactive", {"is_active": False}), ("not staff", {"is_staff": False})):
        member = accounts[kind] = MembershipFactory.create(role="supervisor").user
        User.objects.filter(pk=member.pk).update(**change)
    accounts["superuser"] = StaffFactory.create(is_superuser=True)
    accounts["inactive superuser"] = StaffFactory.create(is_superuser=True, is_active=False)
    accounts["nothing"] = StaffFactory.create()
    return {kind: User.objects.get(pk=account.pk) for kind, account in accounts.items()}


def test_an_account_answers_permission_checks_as_its_backends_do():
    # given
    accounts = _accounts()
    permissions = [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    ]
    labels = [app.label for app in apps.get_app_configs()]
    for kind, account in accounts.items():
        # when: the account's answers, and Django's way, asking every backend each time
        answers = [account.has_perm(p) for p in permissions]
        modules = [account.has_module_perms(label) for label in labels]
        fresh = User.objects.get(pk=account.pk)
        superuser = fresh.is_active and fresh.is_superuser
        backends: list[Any] = get_backends()
        # then
        assert answers == [
            superuser or any(b.has_perm(fresh, p) for b in backends) for p in permissions
        ], kind
        assert modules == [
            superuser or any(b.has_module_perms(fresh, label) for b in backends) for label in labels
        ], kind
    assert accounts["direct and group"].has_perm("payments.change_refund")
    assert not accounts["inactive"].has_module_perms("services")
