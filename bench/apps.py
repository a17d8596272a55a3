from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmarks' own app: the scale loader command and the bare comparison views.

    Installed only by ``bench.settings``, never by ``config.settings``: production never serves these.
    """

    name = "bench"
    default_auto_field = "django.db.models.BigAutoField"
