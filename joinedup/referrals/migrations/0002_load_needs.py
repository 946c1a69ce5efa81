import json
from pathlib import Path

from django.db import migrations

NEEDS_FILE = Path(__file__).resolve().parent.parent / "data" / "needs.json"


def _needs():
    return json.loads(NEEDS_FILE.read_text(encoding="utf-8"))["needs"]


def load_needs(apps, schema_editor):
    """The directory's vocabulary of needs, as data."""
    Need = apps.get_model("referrals", "Need")
    for position, item in enumerate(_needs(), 1):
        Need.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "description": item["description"],
                "framework": item["framework"],
                "position": position,
            },
        )


def unload_needs(apps, schema_editor):
    Need = apps.get_model("referrals", "Need")
    Need.objects.filter(code__in=[item["code"] for item in _needs()]).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(load_needs, unload_needs)]
