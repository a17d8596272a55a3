from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin with the project's site (common/admin_site.py) as ``admin.site``."""

    default_site = "common.admin_site.AdminSite"
