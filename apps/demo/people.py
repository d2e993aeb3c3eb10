"""Demo departments and users. The passwords are for the demo only and are printed by ``make run``."""

# code, name, English name, jurisdiction code, parent code
DEPARTMENTS: list[tuple[str, str, str, str, str | None]] = [
    ("HC-GA", "厦门市公安局海沧分局", "Haicang Public Security Sub-bureau", "350205", None),
    ("HC-GA-XY", "新阳派出所", "Xinyang Police Station", "HC-XY", "HC-GA"),
    ("HC-GA-HC", "海沧派出所", "Haicang Police Station", "HC-HC", "HC-GA"),
    ("HC-GA-SY", "嵩屿派出所", "Songyu Police Station", "HC-SY", "HC-GA"),
    ("HC-GA-DF", "东孚派出所", "Dongfu Police Station", "HC-DF", "HC-GA"),
    ("HC-MZ", "海沧区民政局", "Haicang Civil Affairs Bureau", "350205", None),
    ("HC-SF", "海沧区司法局", "Haicang Justice Bureau", "350205", None),
    ("HC-SF-XY", "新阳司法所", "Xinyang Justice and Mediation Office", "HC-XY", "HC-SF"),
    ("HC-SF-HC", "海沧司法所", "Haicang Justice and Mediation Office", "HC-HC", "HC-SF"),
    ("HC-CG", "海沧区城市管理局", "Haicang Urban Management Bureau", "350205", None),
    ("HC-ZJ", "海沧区建设与交通局", "Haicang Housing and Construction Bureau", "350205", None),
    ("HC-YJ", "海沧区应急管理局", "Haicang Emergency Management Bureau", "350205", None),
    ("HC-XF", "海沧区消防救援大队", "Haicang Fire and Rescue Brigade", "350205", None),
    ("HC-ST", "厦门市海沧生态环境局", "Haicang Ecology and Environment Bureau", "350205", None),
]

DEMO_PASSWORD = "gridapi-demo"  # noqa: S105 - demo accounts only; documented with a warning

# username, role, full name, territory code (dispatchers), grids (workers), department (staff)
USERS: list[tuple[str, str, str, str | None, list[str], str | None]] = [
    ("admin", "admin", "系统管理员", "350205", [], None),
    ("dispatcher", "dispatcher", "区综治中心调度员", "350205", [], None),
    ("dispatcher_xy", "dispatcher", "新阳街道综治中心", "HC-XY", [], None),
    ("worker_xa1", "grid_worker", "林网格", None, ["HC-XY-XA-01", "HC-XY-XA-02"], None),
    ("worker_xa2", "grid_worker", "陈网格", None, ["HC-XY-XA-02", "HC-XY-XA-03"], None),
    ("worker_hh1", "grid_worker", "黄网格", None, ["HC-SY-HH-01", "HC-SY-HH-02", "HC-SY-HH-03"], None),
    ("police_xy", "department_staff", "新阳派出所值班民警", None, [], "HC-GA-XY"),
    ("civil_hc", "department_staff", "民政局工作人员", None, [], "HC-MZ"),
    ("urban_hc", "department_staff", "城管执法队员", None, [], "HC-CG"),
]
