"""Question sets get an owner (issue 9): a programme, one cohort, or nobody (the library, staff only).

Existing sets are given the narrowest owner that still lets every cohort which uses them see them,
judged per family (all versions of a slug):

* the built-in default ("module-feedback") stays in the library: every programme falls back on it;
* used (programme defaults, cohort settings, surveys) within exactly one programme: that programme,
  or the one cohort if only one cohort's settings or surveys use it and no programme default does;
* used across programmes, or not used at all: the library, as before (visible to all, changed by staff).

Staff can move a set to another owner in the admin.
"""

import django.db.models.deletion
from django.db import migrations, models

DEFAULT_SLUG = "module-feedback"


def assign_owners(apps, schema_editor):
    QuestionSet = apps.get_model("surveys", "QuestionSet")
    ProgrammeSurveyDefaults = apps.get_model("surveys", "ProgrammeSurveyDefaults")
    CohortSurveySettings = apps.get_model("surveys", "CohortSurveySettings")
    Survey = apps.get_model("surveys", "Survey")
    Cohort = apps.get_model("cohorts", "Cohort")
    for slug in QuestionSet.objects.exclude(slug=DEFAULT_SLUG).values_list("slug", flat=True).distinct():
        defaults_of = set(
            ProgrammeSurveyDefaults.objects.filter(question_set__slug=slug).values_list("programme_id", flat=True)
        )
        cohorts = set(CohortSurveySettings.objects.filter(question_set__slug=slug).values_list("cohort_id", flat=True))
        cohorts |= set(Survey.objects.filter(question_set__slug=slug).values_list("module__cohort_id", flat=True))
        programmes = defaults_of | set(Cohort.objects.filter(pk__in=cohorts).values_list("programme_id", flat=True))
        if len(programmes) != 1:
            continue  # shared across programmes, or unused: the library
        if not defaults_of and len(cohorts) == 1:
            owner = {"cohort_id": cohorts.pop()}
        else:
            owner = {"programme_id": programmes.pop()}
        QuestionSet.objects.filter(slug=slug).update(**owner)


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0001_initial"),
        ("surveys", "0002_default_question_set"),
    ]

    operations = [
        migrations.AddField(
            model_name="questionset",
            name="cohort",
            field=models.ForeignKey(
                blank=True,
                help_text="Seen and changed by this cohort's facilitators only. Neither owner: a library set (staff).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="question_sets",
                to="cohorts.cohort",
                verbose_name="owned by cohort",
            ),
        ),
        migrations.AddField(
            model_name="questionset",
            name="programme",
            field=models.ForeignKey(
                blank=True,
                help_text="Changed by staff only; every cohort of the programme can use it.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="question_sets",
                to="cohorts.programme",
                verbose_name="owned by programme",
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="condition_question",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="dependent_questions",
                to="surveys.question",
                verbose_name="show only if question",
            ),
        ),
        migrations.AlterField(
            model_name="answer",
            name="question",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT, related_name="answers", to="surveys.question"
            ),
        ),
        migrations.AlterField(
            model_name="cohortsurveysettings",
            name="question_set",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="surveys.questionset",
                verbose_name="question set",
            ),
        ),
        migrations.AlterField(
            model_name="programmesurveydefaults",
            name="question_set",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT, related_name="+", to="surveys.questionset"
            ),
        ),
        migrations.AlterField(
            model_name="survey",
            name="question_set",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="surveys",
                to="surveys.questionset",
                verbose_name="question set",
            ),
        ),
        migrations.AddConstraint(
            model_name="questionset",
            constraint=models.CheckConstraint(
                condition=models.Q(("programme__isnull", True), ("cohort__isnull", True), _connector="OR"),
                name="questionset_at_most_one_owner",
            ),
        ),
        # Last: on PostgreSQL the rows it updates leave deferred FK checks pending, and a later
        # ALTER TABLE in the same transaction would fail.
        migrations.RunPython(assign_owners, migrations.RunPython.noop),
    ]
