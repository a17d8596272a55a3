from django.db import migrations

from surveys.defaults import DEFAULT_SET, create_default_set


def create(apps, schema_editor):
    QuestionSet = apps.get_model("surveys", "QuestionSet")
    if QuestionSet.objects.filter(slug=DEFAULT_SET["slug"]).exists():
        return
    create_default_set(QuestionSet, apps.get_model("surveys", "Question"), apps.get_model("surveys", "Choice"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
