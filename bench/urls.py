"""The project's URLs, plus the two bare views the benchmarks compare against (bench/views.py)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare_signed_in, name="bench_bare"),
    path("bench/bare-form/", views.BareFormView.as_view(), name="bench_bare_form"),
    path("", include("config.urls")),
]
