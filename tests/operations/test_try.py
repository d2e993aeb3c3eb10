import uuid
import pytest
from apps.operations.models import Patrol
from apps.operations.services import patrol_apply
from tests.operations.conftest import START, walk

pytestmark = pytest.mark.django_db

def test_try(worker):
    pid = uuid.uuid4()
    pts = walk(600)
    out = patrol_apply(principal=worker, record_id=pid, op="create", data={"started_at": START.isoformat(), "points": pts[:300]})
    print(out)
    out = patrol_apply(principal=worker, record_id=pid, op="update", data={"points": pts[300:], "ended_at": pts[-1]["t"]})
    print(out)
    p = Patrol.objects.get(pk=pid)
    print(p.fix_count, p.fixes_used, p.distance_m, p.moving_s, p.idle_s, p.inside_s, p.effective_s, p.flags, p.track[:80], p.path.num_points)
