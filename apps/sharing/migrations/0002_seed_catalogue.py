"""Seed the data catalogue (目录清单): every shareable field of every record type and its sensitivity."""

from django.db import migrations

# record type, field, sensitivity, label, English label, maskable
FIELDS = [
    ("building", "address", "public", "地址", "address", False),
    ("building", "address_code", "public", "标准地址编码", "standard address code", False),
    ("building", "name", "public", "名称", "name", False),
    ("building", "use", "public", "用途", "use", False),
    ("building", "floors", "public", "层数", "floors", False),
    ("building", "footprint", "public", "轮廓", "footprint", False),
    ("building", "location", "public", "位置", "location", False),
    ("building", "grid", "public", "网格", "grid", False),
    ("building", "landlord_id", "internal", "房东", "landlord", False),
    ("person", "name", "internal", "姓名", "name", False),
    ("person", "gender", "internal", "性别", "gender", False),
    ("person", "birth_date", "internal", "出生日期", "birth date", False),
    ("person", "household_type", "internal", "户籍类型", "household type", False),
    ("person", "grid", "internal", "网格", "grid", False),
    ("person", "id_number", "sensitive", "公民身份号码", "ID number", True),
    ("person", "phone", "sensitive", "联系电话", "phone", True),
    ("person", "passport_number", "sensitive", "护照号码", "passport number", True),
    ("person", "location", "sensitive", "居住位置", "where they live", False),
    ("person", "tags", "special", "特殊人群标签", "special groups", False),
    ("residence", "person_id", "internal", "人员", "person", False),
    ("residence", "building_id", "internal", "房屋", "building", False),
    ("residence", "relation", "internal", "关系", "relation", False),
    ("residence", "since", "internal", "入住日期", "since", False),
    ("residence", "until", "internal", "迁出日期", "until", False),
    ("residence", "room", "sensitive", "房号", "room", False),
]


def seed(apps, schema_editor):
    model = apps.get_model("sharing", "CatalogueField")
    for record_type, field, sensitivity, label, label_en, maskable in FIELDS:
        model.objects.update_or_create(
            record_type=record_type, field=field,
            defaults={"sensitivity": sensitivity, "label": label, "label_en": label_en, "maskable": maskable},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("sharing", "CatalogueField").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
