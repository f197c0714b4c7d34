"""Agency roles grant admin permissions: an officer views applications, a supervisor also edits
rule sets; staff without a membership get nothing from their role. The roles are read once per
request for everything that asks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.admin.catalogue import catalogue_scope
from complaints.permissions import staff_scope
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
