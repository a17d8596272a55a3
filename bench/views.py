"""The bare views that pages and submits are measured against, on the same stack (settings,
middleware, gunicorn, PostgreSQL): what the framework costs before any of the app's work."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .models import BenchRow


def bare_signed_in(request):
    """A signed-in page that does nothing: the session and user are loaded, a few bytes returned."""
    return HttpResponse(f"Signed in as {request.user.get_username()}.", content_type="text/plain")


# Like the survey answer view: no account, and CSRF-exempt (a floor: the survey view has Django's check).
@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class BareFormView(View):
    """GET: a small form; POST: one INSERT and a short page."""

    def get(self, request):
        return render(request, "bench/bare_form.html")

    def post(self, request):
        BenchRow.objects.create(answer=request.POST.get("answer", "")[:200])
        return render(request, "bench/bare_saved.html")
