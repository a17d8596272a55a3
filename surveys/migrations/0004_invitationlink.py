"""One row per issued survey link (issue 9): a reminder adds a link instead of replacing the first.

Each invitation's current ``token_hash`` becomes its first link; 0005 then drops the old columns.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def links_from_invitations(apps, schema_editor):
    Invitation = apps.get_model("surveys", "Invitation")
    InvitationLink = apps.get_model("surveys", "InvitationLink")
    rows = (
        Invitation.objects.filter(token_hash__isnull=False)
        .values_list("pk", "token_hash", "token_issued_at", "updated_at")
        .order_by("pk")
    )
    links = [
        InvitationLink(invitation_id=pk, token_hash=token_hash, issued_at=issued_at or updated_at)
        for pk, token_hash, issued_at, updated_at in rows.iterator(chunk_size=BATCH)
    ]
    InvitationLink.objects.bulk_create(links, batch_size=BATCH)


def invitations_from_links(apps, schema_editor):
    """Going back: each invitation keeps its latest link (the older ones stop working)."""
    Invitation = apps.get_model("surveys", "Invitation")
    InvitationLink = apps.get_model("surveys", "InvitationLink")
    latest = {}
    for invitation_id, token_hash, issued_at in (
        InvitationLink.objects.order_by("invitation_id", "issued_at", "pk")
        .values_list("invitation_id", "token_hash", "issued_at")
        .iterator(chunk_size=BATCH)
    ):
        latest[invitation_id] = (token_hash, issued_at)
    for invitation_id, (token_hash, issued_at) in latest.items():
        Invitation.objects.filter(pk=invitation_id).update(token_hash=token_hash, token_issued_at=issued_at)


class Migration(migrations.Migration):
    # Depends on 0002 for now; re-pointed at the question-set branch's 0003 when both are merged.
    dependencies = [("surveys", "0003_questionset_owner")]

    operations = [
        migrations.CreateModel(
            name="InvitationLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("issued_at", models.DateTimeField(verbose_name="issued at")),
                (
                    "invitation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="links", to="surveys.invitation"
                    ),
                ),
            ],
            options={
                "verbose_name": "invitation link",
                "verbose_name_plural": "invitation links",
                "ordering": ["invitation", "issued_at", "id"],
            },
        ),
        migrations.RunPython(links_from_invitations, invitations_from_links, elidable=False),
    ]
