"""Organisations, employments and watch alerts become record types a subscription may grant; the catalogue's
fields of alerts; endpoints choose whether they receive watch alerts (person.arrived, person.left)."""

import django.contrib.postgres.fields
from django.db import migrations, models

RECORD_TYPES = [
    ("building", "building"),
    ("person", "person"),
    ("residence", "residence"),
    ("organisation", "organisation"),
    ("employment", "employment"),
    ("alert", "alert"),
]

# record type, field, sensitivity, label, English label, maskable. An alert tells that its person carries a
# watched tag (a special category), and where that person lives or lived.
FIELDS = [
    ("alert", "rule", "internal", "预警规则", "watch rule", False),
    ("alert", "kind", "internal", "预警类型", "kind (arrival or departure)", False),
    ("alert", "person_id", "special", "预警对象", "person watched", False),
    ("alert", "building_id", "sensitive", "所在房屋", "building", False),
    ("alert", "grid", "internal", "网格", "grid", False),
    ("alert", "at", "internal", "预警时间", "at", False),
    ("alert", "status", "internal", "处理状态", "status", False),
]


def seed(apps, schema_editor):
    model = apps.get_model("sharing", "CatalogueField")
    for record_type, field, sensitivity, label, label_en, maskable in FIELDS:
        model.objects.update_or_create(
            record_type=record_type, field=field,
            defaults={"sensitivity": sensitivity, "label": label, "label_en": label_en, "maskable": maskable},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("sharing", "CatalogueField").objects.filter(record_type="alert").delete()


class Migration(migrations.Migration):
    dependencies = [("sharing", "0003_catalogue_organisations")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="receives_alerts",
            field=models.BooleanField(
                default=True,
                help_text="person.arrived, person.left: the alerts of the department's watch rules",
                verbose_name="receives watch alerts",
            ),
        ),
        migrations.AlterField(
            model_name="cataloguefield",
            name="record_type",
            field=models.CharField(choices=RECORD_TYPES, max_length=16, verbose_name="record type"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="record_types",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(choices=RECORD_TYPES, max_length=16), size=None
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
