"""Demo routing: who handles which family of events at each level in Haicang, as a city would configure it.

Community committees (村/居委会) take community-level matters, the subdistrict's governance centre
(综治中心) or a specialised office the subdistrict-level ones, the district bureaus the district-level ones,
and the city's social governance centre whatever is escalated to the city.
"""

from apps.departments.models import Department
from apps.departments.services import department_upsert
from apps.events.models import EventCategory, EventFamily, RoutingRule
from apps.events.services import routing_rule_save
from apps.territory.models import Level, TerritoryNode

from .territory import SUBDISTRICTS

EXTRA_DEPARTMENTS: list[tuple[str, str, str, str, str | None]] = [
    ("XM-ZZ", "厦门市社会治理中心", "Xiamen Social Governance Centre", "350200", None),
    ("HC-SCJG", "海沧区市场监督管理局", "Haicang Market Regulation Bureau", "350205", None),
    ("HC-JJ", "海沧交警大队", "Haicang Traffic Police Brigade", "350205", None),
    ("HC-WJ", "海沧区卫生健康局", "Haicang Health Commission", "350205", None),
    ("HC-XY-CG", "新阳街道城管中队", "Xinyang Urban Management Squad", "HC-XY", "HC-CG"),
]

# family → the district bureau that handles it at district level
DISTRICT_BY_FAMILY = {
    "dispute": "HC-SF", "public_security": "HC-GA", "fire": "HC-XF", "work_safety": "HC-YJ", "sanitation": "HC-CG",
    "illegal_construction": "HC-CG", "municipal": "HC-ZJ", "ecology": "HC-ST", "food_safety": "HC-SCJG",
    "traffic": "HC-JJ", "floating_population": "HC-GA", "mental_crisis": "HC-WJ", "special_groups": "HC-MZ",
}  # fmt: skip

# (family or category, level, node) → department, beyond the defaults
SPECIAL_RULES: list[tuple[str, str, str, str]] = [
    ("dispute", "subdistrict", "HC-XY", "HC-SF-XY"),
    ("dispute", "subdistrict", "HC-HC", "HC-SF-HC"),
    ("public_security", "subdistrict", "HC-XY", "HC-GA-XY"),
    ("public_security", "subdistrict", "HC-SY", "HC-GA-SY"),
    ("public_security", "subdistrict", "HC-HC", "HC-GA-HC"),
    ("public_security", "subdistrict", "HC-DF", "HC-GA-DF"),
    ("ecology", "subdistrict", "HC-XY-XA", "HC-XY-CG"),  # a deeper rule: 新垵村's river is the squad's
    ("crisis_suicide_risk", "subdistrict", "HC-XY", "HC-GA-XY"),  # a category rule beats the family's
    ("special_correction_missed", "district", "350205", "HC-SF"),
]


class _Rules:
    """The rules already there, so that a second load writes nothing and the first one asks little."""

    def __init__(self) -> None:
        self.categories = {c.code: c for c in EventCategory.objects.all()}
        self.families = {f.code: f for f in EventFamily.objects.all()}
        self.existing = {
            (rule.category_id or rule.family_id, rule.level, rule.node_id): rule
            for rule in RoutingRule.objects.all()
        }

    def put(self, key: str, level: str, node: TerritoryNode, department: Department) -> None:
        existing = self.existing.get((key, level, node.pk))
        if existing is not None and existing.department_id == department.pk:
            return
        category = self.categories.get(key)
        family = None if category else self.families[key]
        routing_rule_save(
            level=level, node=node, department=department, category=category, family=family, rule=existing
        )


def load(departments: dict[str, Department]) -> int:
    """Create the demo's event departments and routing rules (idempotent); return the number of rules."""
    nodes = {node.code: node for node in TerritoryNode.objects.exclude(level=Level.GRID).defer("boundary")}
    for code, name, name_en, jurisdiction, parent in EXTRA_DEPARTMENTS:
        departments[code] = department_upsert(
            code=code, name=name, name_en=name_en, jurisdiction=nodes[jurisdiction],
            parent=departments.get(parent) if parent else None,
        )  # fmt: skip
    rules = _Rules()
    families = sorted(rules.families)
    specials: dict[tuple[str, str, str], str] = {(k, lv, n): d for k, lv, n, d in SPECIAL_RULES}
    for sd_code, sd_name, sd_en, _box, communities in SUBDISTRICTS:
        zz = department_upsert(code=f"{sd_code}-ZZ", name=f"{sd_name}综治中心", name_en=f"{sd_en} Governance Centre",
                               jurisdiction=nodes[sd_code])  # fmt: skip
        departments[zz.code] = zz
        for c_code, c_name, c_en in communities:
            cw = department_upsert(code=f"{c_code}-CW", name=f"{c_name}两委", name_en=f"{c_en} Committee",
                                   jurisdiction=nodes[c_code])  # fmt: skip
            departments[cw.code] = cw
            for family in families:
                rules.put(family, "community", nodes[c_code], cw)
        for family in families:
            target = specials.get((family, "subdistrict", sd_code), zz.code)
            rules.put(family, "subdistrict", nodes[sd_code], departments[target])
    for family in families:
        rules.put(family, "district", nodes["350205"], departments[DISTRICT_BY_FAMILY[family]])
        rules.put(family, "city", nodes["350200"], departments["XM-ZZ"])
    for key, level, node, target in SPECIAL_RULES:
        if key in families and level == "subdistrict" and node in {sd[0] for sd in SUBDISTRICTS}:
            continue  # applied above
        rules.put(key, level, nodes[node], departments[target])
    return RoutingRule.objects.count()
