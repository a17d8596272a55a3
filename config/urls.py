from django.contrib import admin
from django.urls import include, path

from cohorts.views import HomeView
from common.accessibility import AccessibilityStatementView
from common.views import LoginView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("cohorts.urls")),
    path("", include("modules.urls")),
    path("", include("surveys.urls")),
    path("", include("projects.urls")),
    # Before the auth URLs: the same name and template, with rate limits (common/views.py).
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accessibility/", AccessibilityStatementView.as_view(), name="accessibility_statement"),
    path("admin/", admin.site.urls),
]
