from django.db import models


class BenchRow(models.Model):
    """The one row the bare form view inserts per POST (the submit benchmark's comparison)."""

    created_at = models.DateTimeField(auto_now_add=True)
    answer = models.CharField(max_length=200)

    def __str__(self):
        return self.answer
