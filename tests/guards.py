"""Checks that a list of cohort URLs is closed to everyone but the cohort's facilitators and staff.

Shared by the apps' view tests (modules, the PDSA pages in surveys); tests/test_permissions.py checks
the same rule on every URL with sample ids, these on real objects, after which nothing may have changed.
"""

import datetime

from django.test import Client
from django.urls import reverse

from cohorts.models import Membership
from cohorts.tests.factories import MembershipFactory, UserFactory

OUTSIDERS = ("other_facilitator", "participant", "withdrawn_facilitator", "set_facilitator")


def outsider(cohort, who: str):
    """A signed-in user who is not an active facilitator of ``cohort``, of the kind ``who`` names."""
    user = UserFactory()
    if who == "other_facilitator":
        MembershipFactory(role=Membership.Role.FACILITATOR, person__user=user)
    elif who == "participant":
        MembershipFactory(cohort=cohort, person__user=user)
    elif who == "withdrawn_facilitator":
        MembershipFactory(
            cohort=cohort,
            role=Membership.Role.FACILITATOR,
            status=Membership.Status.WITHDRAWN,
            withdrawn_on=datetime.date(2026, 1, 1),
            person__user=user,
        )
    else:
        MembershipFactory(cohort=cohort, role=Membership.Role.SET_FACILITATOR, person__user=user)
    return user


def cohort_url(name, cohort, number=None, **kwargs) -> str:
    """The URL of one of ``cohort``'s pages, or with ``number`` of one of its module's pages."""
    if number is None:
        return reverse(name, kwargs={"cohort_pk": cohort.pk, **kwargs})
    return reverse(name, kwargs={"cohort_pk": cohort.pk, "number": number, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_not_found_for(user, urls) -> None:
    """Every (method, url) answers 404 to ``user`` (a POST carries a plausible form field)."""
    client = client_for(user)
    for method, url in urls:
        response = getattr(client, method)(url, {"done": "1"} if method == "post" else None)
        assert response.status_code == 404, (method, url)


def assert_anonymous_sent_to_login(urls) -> None:
    client = Client()
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def assert_get_urls_open(users, urls) -> None:
    clients = [client_for(user) for user in users]
    for method, url in urls:
        if method == "get":
            for client in clients:
                assert client.get(url).status_code == 200, url


def module_page_access_tests(all_urls):
    """The three access tests of a module's pages, for a test module to bind at its top level:

        test_outsiders_get_404, test_anonymous_sent_to_login, test_get_urls_open = module_page_access_tests(_all_urls)

    ``all_urls(cohort, item)`` lists (method, url) pairs; ``item`` is an Act item of module 1's PDSA
    cycle. After outsiders' requests, module 2 is still planned and the item still not done.
    """
    import pytest

    from modules.models import Module
    from modules.tests.factories import ActItemFactory, PDSACycleFactory

    def item_for(modules):
        return ActItemFactory(cycle=PDSACycleFactory(module=modules[0]))

    @pytest.mark.parametrize("who", OUTSIDERS)
    def test_every_url_is_404_for_people_who_do_not_facilitate_the_cohort(cohort, modules, who):
        item = item_for(modules)
        assert_not_found_for(outsider(cohort, who), all_urls(cohort, item))
        modules[1].refresh_from_db()
        item.refresh_from_db()
        assert modules[1].state == Module.State.PLANNED
        assert not item.done

    def test_every_url_redirects_anonymous_users_to_login(cohort, modules):
        assert_anonymous_sent_to_login(all_urls(cohort, item_for(modules)))

    def test_every_get_url_opens_for_the_facilitator_and_staff(facilitator, staff_user, cohort, modules):
        assert_get_urls_open([facilitator, staff_user], all_urls(cohort, item_for(modules)))

    return (
        test_every_url_is_404_for_people_who_do_not_facilitate_the_cohort,
        test_every_url_redirects_anonymous_users_to_login,
        test_every_get_url_opens_for_the_facilitator_and_staff,
    )
