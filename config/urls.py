from django.contrib import admin
from django.urls import include, path

from common.accessibility import AccessibilityStatementView
from common.views import HealthView, LoginView
from modules.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # First: its first patterns are the participants' answering pages (/s/...), the requests that
    # come thirty at a time after a module; every include tried before a match costs a little.
    path("", include("surveys.urls")),
    path("", include("cohorts.urls")),
    path("", include("modules.urls")),
    path("", include("projects.urls")),
    path("", include("evaluation.urls")),
    path("", include("reports.urls")),
    path("", include("accounts.urls")),
    # Before the auth URLs: the same name and template, with rate limits (common/views.py).
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accessibility/", AccessibilityStatementView.as_view(), name="accessibility_statement"),
    path("admin/", admin.site.urls),
    # For a load balancer or uptime monitor: no sign-in, JSON, 503 when a part is down.
    path("healthz", HealthView.as_view(), name="healthz"),
]

# A database outage gets its own "try again in a minute" page (503), never a traceback.
handler500 = "common.views.server_error"
