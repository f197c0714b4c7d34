"""Agency roles grant admin permissions: an officer views applications, a supervisor also edits
rule sets; staff without a membership get nothing from their role."""

import pytest

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
