"""The catalogue's fields of organisations (实有单位) and employments, with their sensitivity."""

from django.db import migrations

# record type, field, sensitivity, label, English label, maskable
FIELDS = [
    ("organisation", "name", "public", "单位名称", "name", False),
    ("organisation", "credit_code", "public", "统一社会信用代码", "unified social credit code", False),
    ("organisation", "code_unverified", "public", "代码未核验", "code unverified", False),
    ("organisation", "kind", "public", "单位类型", "kind", False),
    ("organisation", "industry", "public", "行业", "industry", False),
    ("organisation", "building_id", "public", "所在房屋", "building", False),
    ("organisation", "room", "internal", "房号", "room", False),
    ("organisation", "floor", "internal", "楼层", "floor", False),
    ("organisation", "location", "public", "位置", "location", False),
    ("organisation", "grid", "public", "网格", "grid", False),
    ("organisation", "area_m2", "internal", "面积", "floor area", False),
    ("organisation", "staff", "internal", "从业人数", "staff", False),
    ("organisation", "beds", "internal", "床位数", "beds", False),
    ("organisation", "seats", "internal", "座位数", "seats", False),
    ("organisation", "tags", "internal", "单位标签", "tags", False),
    ("organisation", "status", "public", "经营状态", "status", False),
    ("organisation", "legal_rep_name", "internal", "法定代表人", "legal representative", False),
    (
        "organisation",
        "legal_rep_id_number",
        "sensitive",
        "法定代表人身份号码",
        "legal representative's ID number",
        True,
    ),
    ("organisation", "phone", "sensitive", "联系电话", "phone", True),
    ("employment", "person_id", "internal", "人员", "person", False),
    ("employment", "organisation_id", "internal", "单位", "organisation", False),
    ("employment", "role", "internal", "岗位", "role", False),
    ("employment", "since", "internal", "入职日期", "since", False),
    ("employment", "until", "internal", "离职日期", "until", False),
]


def seed(apps, schema_editor):
    model = apps.get_model("sharing", "CatalogueField")
    for record_type, field, sensitivity, label, label_en, maskable in FIELDS:
        model.objects.update_or_create(
            record_type=record_type, field=field,
            defaults={"sensitivity": sensitivity, "label": label, "label_en": label_en, "maskable": maskable},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("sharing", "CatalogueField").objects.filter(
        record_type__in=["organisation", "employment"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sharing", "0002_seed_catalogue")]

    operations = [migrations.RunPython(seed, unseed)]
