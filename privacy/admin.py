"""Subject access and erasure, on the admin's page of a person (staff only, like the whole admin).

The Person admin is registered again here with two buttons ("Download everything held", "Erase"),
as modules/admin.py does for the Cohort admin: the pages need every app's data, so they live in
the app at the top of the layers.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cohorts.admin import PersonAdmin
from cohorts.erasure import person_erase
from cohorts.models import Person
from common.audit import Action, Event, audit_event

from .subject_access import subject_access_zip


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that erasing this person cannot be undone."),
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm the erasure.")},
    )


admin.site.unregister(Person)


@admin.register(Person)
class PrivacyPersonAdmin(PersonAdmin):
    change_form_template = "privacy/admin/person_change_form.html"
    list_display = (*PersonAdmin.list_display, "erased_at")
    list_filter = (*PersonAdmin.list_filter, ("erased_at", admin.EmptyFieldListFilter))
    readonly_fields = (*PersonAdmin.readonly_fields, "erased_at")

    def get_urls(self):
        own = [
            path(
                "<int:person_pk>/subject-access/",
                self.admin_site.admin_view(self.subject_access_view),
                name="cohorts_person_subject_access",
            ),
            path(
                "<int:person_pk>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="cohorts_person_erase",
            ),
        ]
        return own + super().get_urls()

    def subject_access_view(self, request, person_pk):
        if not request.user.is_staff or not self.has_view_permission(request):
            raise PermissionDenied
        person = get_object_or_404(Person, pk=person_pk)
        content = subject_access_zip(person=person)
        audit_event(
            obj=person,
            event=Event.SUBJECT_ACCESS,
            action=Action.ACCESS,
            actor=request.user,
            repr_=f"Person {person.pk}",
            data={"bytes": len(content)},
        )
        response = HttpResponse(content, content_type="application/zip")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="subject-access-person-{person.pk}-{stamp}.zip"'
        return response

    def erase_view(self, request, person_pk):
        if not request.user.is_staff or not self.has_delete_permission(request):
            raise PermissionDenied
        person = get_object_or_404(Person, pk=person_pk)
        form = ErasureForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    person_erase(person=person, by=request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, _("Person %(pk)s has been erased.") % {"pk": person.pk})
                    return HttpResponseRedirect(reverse("admin:cohorts_person_change", args=[person.pk]))
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "person": person,
            "form": form,
            "memberships": person.memberships.select_related("cohort"),
            "title": _("Erase %(name)s") % {"name": person.full_name},
        }
        return TemplateResponse(request, "privacy/admin/person_erase.html", context, status=status)
