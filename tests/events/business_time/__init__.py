"""Business time on the Chinese working-day calendar: pure functions, no database and no cache.

Every expected instant in these tests was worked out by hand from the default hours (08:30–12:00, 14:00–17:30,
7 hours a day) and the State Council arrangements as carried by chinesecalendar 1.11; ``test_library_data``
pins the days of that data the other tests rely on, so that a data change fails there first and not as a
puzzling deadline mismatch. The helpers shared by the modules are here.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from apps.events.calendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
DAY = 7 * HOUR

CAL = WorkCalendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = SH) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)
