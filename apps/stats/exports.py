"""Indicator and registry tables as CSV and XLSX, with Chinese headers; in XLSX one sheet per level."""

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

# Sheet names of the levels of a table (dimensions of the indicators, levels of the territory).
LEVEL_NAMES = {
    "total": "合计", "department": "部门", "node": "下级辖区", "category": "事件类型", "channel": "渠道",
    "worker": "网格员",
}  # fmt: skip
HEAD = ["周期", "层级", "代码", "名称", "等级"]


def _indicator_columns(table: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str, str]]:
    first = next(iter(table["rows"]), None)
    keys = list(first["indicators"]) if first else list(names)
    columns = []
    for key in keys:
        chinese = names.get(key, key)
        columns += [(key, "numerator", f"{chinese}（分子）"), (key, "denominator", f"{chinese}（分母）"),
                    (key, "value", chinese)]  # fmt: skip
    return columns


def _lines(table: dict[str, Any], names: dict[str, str], rows: Iterable[dict[str, Any]]) -> Iterable[list[Any]]:
    columns = _indicator_columns(table, names)
    yield HEAD + [title for _key, _part, title in columns]
    for row in rows:
        cells = [row["period"], LEVEL_NAMES.get(row["level"], row["level"]), row["key"], row["name"], row["grade"]]
        cells += [row["indicators"][key][part] for key, part, _title in columns]
        yield ["" if cell is None else cell for cell in cells]


def table_csv(table: dict[str, Any], names: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_lines(table, names, table["rows"]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM: Excel opens it as UTF-8


def table_xlsx(table: dict[str, Any], names: dict[str, str]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    levels = list(dict.fromkeys(row["level"] for row in table["rows"])) or ["total"]
    for level in levels:
        sheet = workbook.create_sheet(LEVEL_NAMES.get(level, level)[:31])
        for line in _lines(table, names, (row for row in table["rows"] if row["level"] == level)):
            sheet.append([float(cell) if hasattr(cell, "as_tuple") else cell for cell in line])
        sheet.freeze_panes = "F2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
