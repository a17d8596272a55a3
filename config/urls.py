from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cohorts.views import HomeView

admin.site.site_header = _("Leadership Cohorts administration")
admin.site.site_title = _("Leadership Cohorts admin")

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("cohorts.urls")),
    path("", include("modules.urls")),
    path("", include("surveys.urls")),
    path("", include("projects.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
