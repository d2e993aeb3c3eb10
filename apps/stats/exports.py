"""Statistics tables as CSV and XLSX, with Chinese headers; in XLSX one sheet per level."""

import csv
import io
from typing import Any

from openpyxl import Workbook

# Sheet names of the levels of a table (dimensions of the indicators, levels of the territory).
LEVEL_NAMES = {
    "total": "合计", "department": "部门", "node": "下级辖区", "category": "事件类型", "channel": "渠道",
    "worker": "网格员",
}  # fmt: skip
Sheets = dict[str, list[list[Any]]]

REGISTRY_NAMES = {
    "registered": "户籍", "floating": "流动", "overseas": "境外", "male": "男", "female": "女", "unknown": "未知",
    "residential": "住宅", "rental": "出租屋", "shop": "商铺", "factory": "厂房", "school": "学校", "office": "办公",
    "other": "其他", "elderly_alone": "独居老人", "disabled": "残疾人", "low_income": "低保", "community_correction":
    "社区矫正", "drug_rehabilitation": "戒毒康复", "mental_disorder": "严重精神障碍", "left_behind_child": "留守儿童",
    "veteran": "退役军人", "enterprise": "企业", "individual": "个体工商户", "social_org": "社会组织",
    "public_institution": "事业单位", "government": "机关", "nine_small": "九小场所", "three_in_one": "三合一",
    "hazmat": "危化品", "crowded": "人员密集",
}  # fmt: skip


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return float(value) if hasattr(value, "as_tuple") else value


def _by_level(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    levels: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        levels.setdefault(LEVEL_NAMES.get(row["level"], row["level"]), []).append(row)
    return levels or {LEVEL_NAMES["total"]: []}


def indicator_sheets(table: dict[str, Any], names: dict[str, str]) -> Sheets:
    first = next(iter(table["rows"]), None)
    keys = list(first["indicators"]) if first else list(names)
    columns = []
    for key in keys:
        chinese = names.get(key, key)
        columns += [(key, "numerator", f"{chinese}（分子）"), (key, "denominator", f"{chinese}（分母）"),
                    (key, "value", chinese)]  # fmt: skip
    head = ["周期", "层级", "代码", "名称", "等级"] + [title for _key, _part, title in columns]
    sheets: Sheets = {}
    for level, rows in _by_level(table["rows"]).items():
        lines = [head]
        for row in rows:
            cells = [row["period"], level, row["key"], row["name"], row["grade"]]
            lines.append([_cell(c) for c in cells + [row["indicators"][k][part] for k, part, _t in columns]])
        sheets[level] = lines
    return sheets


def registry_sheets(table: dict[str, Any]) -> Sheets:
    first = table["rows"][0] if table["rows"] else None
    if first is None:
        return {LEVEL_NAMES["total"]: [["层级", "代码", "名称"]]}
    population, housing = first["population"], first["housing"]
    columns: list[tuple[str, Any]] = [("实有人口", lambda r: r["population"]["total"])]
    for group, title in (("household_type", "户别"), ("gender", "性别"), ("age_band", "年龄段")):
        for key in population[group]:
            columns.append((f"{title}·{REGISTRY_NAMES.get(key, key)}",
                            lambda r, g=group, k=key: r["population"][g][k]))  # fmt: skip
    for key in population["special_groups"] or {}:
        columns.append((f"特殊人群·{REGISTRY_NAMES.get(key, key)}",
                        lambda r, k=key: r["population"]["special_groups"][k]))  # fmt: skip
    columns.append(("实有房屋", lambda r: r["housing"]["total"]))
    for key in housing["use"]:
        columns.append((f"房屋用途·{REGISTRY_NAMES.get(key, key)}", lambda r, k=key: r["housing"]["use"][k]))
    columns.append(("实有单位", lambda r: r["organisations"]["total"]))
    for group, title in (("kind", "单位类型"), ("tag", "单位标签")):
        for key in first["organisations"][group]:
            columns.append((f"{title}·{REGISTRY_NAMES.get(key, key)}",
                            lambda r, g=group, k=key: r["organisations"][g][k]))  # fmt: skip
    for index, move in enumerate(first["movement"]):
        columns.append((f"{move['period']}·迁入", lambda r, i=index: r["movement"][i]["arrivals"]))
        columns.append((f"{move['period']}·迁出", lambda r, i=index: r["movement"][i]["departures"]))
    head = ["层级", "代码", "名称"] + [title for title, _get in columns]
    sheets: Sheets = {}
    for level, rows in _by_level(table["rows"]).items():
        sheets[level] = [head] + [
            [level, row["key"], row["name"]] + [get(row) for _t, get in columns] for row in rows
        ]
    return sheets


def sheets_csv(sheets: Sheets) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, lines in enumerate(sheets.values()):
        writer.writerows(lines if index == 0 else lines[1:])  # one header: the levels follow each other
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM: Excel opens it as UTF-8


def sheets_xlsx(sheets: Sheets) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, lines in sheets.items():
        sheet = workbook.create_sheet(name[:31])
        for line in lines:
            sheet.append(line)
        sheet.freeze_panes = "D2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
