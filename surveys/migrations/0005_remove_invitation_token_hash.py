"""The links now live in InvitationLink (0004 copied them); the single-link columns go.

Apart from 0004 so that the data copy and the schema change run in separate transactions.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_invitationlink")]

    operations = [
        migrations.RemoveField(model_name="invitation", name="token_hash"),
        migrations.RemoveField(model_name="invitation", name="token_issued_at"),
    ]
