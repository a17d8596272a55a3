from django.db import migrations
from django.db.models import OuterRef, Subquery


def survey_cohort_backfill(apps, schema_editor):
    """Every survey so far follows a module: its cohort is the module's."""
    Survey = apps.get_model("surveys", "Survey")
    Module = apps.get_model("modules", "Module")
    Survey.objects.filter(cohort__isnull=True).update(
        cohort_id=Subquery(Module.objects.filter(pk=OuterRef("module_id")).values("cohort_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0002_pdsacycle_actitem"),
        ("surveys", "0006_survey_kinds"),
    ]

    operations = [migrations.RunPython(survey_cohort_backfill, migrations.RunPython.noop)]
