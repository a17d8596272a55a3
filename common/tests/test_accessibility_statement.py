"""The accessibility statement (common/accessibility.py) and the link to it in every page's footer."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_accessibility_statement_is_public_and_says_how_to_report_a_problem(settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "digital.access@tamarvale.example"

    response = Client().get(reverse("accessibility_statement"))

    assert response.status_code == 200
    assert 'href="mailto:digital.access@tamarvale.example"' in response.text
    for heading in (
        "Accessibility statement for Leadership Cohorts",
        "How we tested this website",
        "What is not accessible yet",
        "Reporting a problem",
        "Enforcement procedure",
    ):
        assert heading in response.text
    assert "axe-core" in response.text
    assert "375" in response.text
    assert "last reviewed on" in response.text


def test_every_page_links_to_the_accessibility_statement_from_its_footer(facilitator_client):
    statement = reverse("accessibility_statement")
    for client, url in ((Client(), reverse("login")), (facilitator_client, reverse("home"))):
        footer = client.get(url).text.split("<footer", 1)[1]
        assert f'href="{statement}"' in footer, url
