import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0001_initial"),
        ("surveys", "0007_survey_cohort_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="survey",
            name="cohort",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="surveys",
                to="cohorts.cohort",
                verbose_name="cohort",
            ),
        ),
    ]
