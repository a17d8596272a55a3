"""The project's URLs, plus the two bare views the benchmarks compare against (bench/views.py)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare_signed_in, name="bench_bare"),
    path("bench/bare-form/", views.BareFormView.as_view(), name="bench_bare_form"),
    # The same journey in the app's shape: link (redirect), form, POST (redirect), short page.
    path("bench/bare-link/", views.bare_link, name="bench_bare_link"),
    path("bench/bare-form-prg/", views.BareFormView.as_view(redirect_after_post=True), name="bench_bare_form_prg"),
    path("", include("config.urls")),
]
