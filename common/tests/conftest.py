import pytest
from django.test.signals import template_rendered

from common import drawn


@pytest.fixture
def nothing_drawn():
    """No drawing kept from another test (common.drawn keeps them per process)."""
    drawn.cache_clear()
    yield
    drawn.cache_clear()


@pytest.fixture
def rendered_templates():
    """The names of the templates rendered while the test runs, in order."""
    names = []

    def rendered(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(rendered)
    yield names
    template_rendered.disconnect(rendered)
