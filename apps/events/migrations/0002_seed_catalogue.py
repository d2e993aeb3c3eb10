"""Seed the event catalogue: the families of events.md, each with a few categories (codes are stable)."""

from django.db import migrations

FAMILIES = [
    ("dispute", "矛盾纠纷", "Disputes"),
    ("public_security", "治安隐患", "Public security risks"),
    ("fire", "消防隐患", "Fire risks"),
    ("work_safety", "安全生产", "Work safety"),
    ("sanitation", "环境卫生", "Sanitation"),
    ("illegal_construction", "违法建设", "Illegal construction"),
    ("municipal", "市政设施", "Municipal facilities"),
    ("ecology", "生态环境", "Ecological environment"),
    ("food_safety", "食品安全", "Food safety"),
    ("traffic", "交通安全", "Traffic safety"),
    ("floating_population", "流动人口", "Floating population"),
    ("mental_crisis", "心理危机", "Psychological crisis"),
    ("special_groups", "特殊人群", "Special groups"),
]

# code, family, name, English name, default level, sign hours, handle working days, self-resolvable, radius m, window h
CATEGORIES = [
    ("dispute_neighbour", "dispute", "邻里纠纷", "Neighbour dispute", "community", 2, 5, False, 100, 72),
    ("dispute_family", "dispute", "婚姻家庭纠纷", "Family dispute", "community", 2, 5, False, 50, 72),
    ("dispute_wage_arrears", "dispute", "劳资欠薪纠纷", "Labour dispute / wage arrears", "subdistrict", 2, 10, False, 200, 168),
    ("dispute_property", "dispute", "物业管理纠纷", "Property management dispute", "community", 4, 5, False, 150, 72),
    ("security_gathering", "public_security", "聚集滋事隐患", "Gathering and disorder risk", "subdistrict", 1, 2, False, 200, 24),
    ("security_facility", "public_security", "技防设施损坏", "Damaged security equipment", "community", 4, 5, True, 50, 72),
    ("fire_rental", "fire", "出租屋消防隐患", "Fire risk in rental housing", "district", 1, 3, False, 50, 72),
    ("fire_passage_blocked", "fire", "消防通道堵塞", "Blocked fire lane", "community", 2, 1, True, 100, 24),
    ("fire_ebike_charging", "fire", "电动车违规充电", "Illegal e-bike charging", "community", 2, 2, True, 50, 72),
    ("safety_factory", "work_safety", "企业安全生产隐患", "Work-safety hazard in a company", "district", 2, 5, False, 100, 72),
    ("safety_gas", "work_safety", "燃气安全隐患", "Gas safety hazard", "subdistrict", 1, 2, False, 50, 24),
    ("sanitation_garbage", "sanitation", "垃圾乱堆乱放", "Dumped rubbish", "community", 4, 2, True, 100, 72),
    ("sanitation_toilet", "sanitation", "公厕保洁不到位", "Unclean public toilet", "subdistrict", 4, 2, False, 50, 72),
    ("construction_new", "illegal_construction", "违法新建", "Illegal new building", "subdistrict", 2, 5, False, 100, 168),
    ("construction_extension", "illegal_construction", "违法加层扩建", "Illegal extension", "district", 2, 10, False, 50, 168),
    ("municipal_road", "municipal", "道路破损", "Damaged road", "district", 4, 5, False, 100, 168),
    ("municipal_streetlight", "municipal", "路灯损坏", "Broken street light", "subdistrict", 4, 3, False, 50, 168),
    ("municipal_manhole", "municipal", "井盖缺失破损", "Missing or broken manhole cover", "district", 1, 1, False, 30, 72),
    ("ecology_floating_rubbish", "ecology", "水面漂浮垃圾", "Floating rubbish", "subdistrict", 4, 2, False, 300, 72),
    ("ecology_site_dust", "ecology", "工地扬尘", "Dust from a building site", "district", 2, 3, False, 300, 72),
    ("food_unlicensed", "food_safety", "无证经营餐饮", "Unlicensed food business", "district", 2, 5, False, 50, 168),
    ("food_expired", "food_safety", "销售过期食品", "Sale of expired food", "district", 2, 3, False, 50, 72),
    ("traffic_parking", "traffic", "违规停车占道", "Illegal parking blocking the way", "subdistrict", 2, 1, True, 100, 24),
    ("traffic_hazard", "traffic", "道路交通安全隐患", "Road traffic hazard", "district", 2, 5, False, 100, 168),
    ("population_unregistered", "floating_population", "出租屋人员未登记", "Unregistered tenant", "community", 4, 3, True, 30, 168),
    ("population_departed", "floating_population", "租客搬离未注销", "Departed tenant not deregistered", "community", 4, 3, True, 30, 168),
    ("crisis_suicide_risk", "mental_crisis", "自杀风险", "Suicide risk", "subdistrict", 0.5, 1, False, 100, 24),
    ("crisis_mental_episode", "mental_crisis", "严重精神障碍患者发病", "Episode of a person with a severe mental disorder", "subdistrict", 0.5, 1, False, 100, 24),
    ("special_correction_missed", "special_groups", "社区矫正对象未按时报到", "Missed visit of a person under community correction", "subdistrict", 2, 2, False, 50, 72),
    ("special_elderly_need", "special_groups", "独居老人需帮扶", "Elderly person living alone in need", "community", 2, 3, False, 50, 72),
]  # fmt: skip


def seed(apps, schema_editor):
    family_model = apps.get_model("events", "EventFamily")
    category_model = apps.get_model("events", "EventCategory")
    for code, name, name_en in FAMILIES:
        family_model.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})
    for code, family, name, name_en, level, sign, handle, minor, radius, window in CATEGORIES:
        category_model.objects.update_or_create(
            code=code,
            defaults={
                "family_id": family, "name": name, "name_en": name_en, "default_level": level, "sign_hours": sign,
                "handle_days": handle, "self_resolvable": minor, "duplicate_radius_m": radius,
                "duplicate_window_hours": window,
            },
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("events", "EventCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()
    apps.get_model("events", "EventFamily").objects.filter(code__in=[f[0] for f in FAMILIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
