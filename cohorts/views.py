from django.views.generic import TemplateView

from . import selectors


class HomeView(TemplateView):
    template_name = "cohorts/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cohorts"] = selectors.cohort_list_for_user(user=self.request.user)
        return context
