"""Organisation matching (pure functions: no database access).

The same verified credit code decides alone; two different verified codes forbid a merge (a chain's shops
share a name, never a code). Without a code: the normalised name — no places, legal forms, brackets,
full-width forms or 个体 markers — with the same building or nearness. A different room or floor in the same
building, both given, forbids an automatic merge (two shops of one owner side by side): at most a review.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.core.geo.crs import distance_m
from apps.core.text import similarity

from ..matching import Match

CANDIDATE_RADIUS_M = 80.0

# Places written before the name: 福建省厦门市海沧区…, or a city without its suffix (厦门…).
_PLACE_PREFIX = re.compile(
    r"^(?:中国)?(?:[^省市区县]{2,6}省)?(?:[^省市区县]{2,6}(?:(?<![超菜夜])市|自治州))?(?:[^省市区县]{2,6}(?<![小园])(?:区|县))?"
    r"(?:[^省市区县街]{1,6}(?:街道|镇|乡))?"
)
# Bracketed parts: a place (（厦门）), a legal form (（普通合伙）), a marker (（个体工商户）).
_BRACKETED = re.compile(r"[(\[【〔][^)\]】〕]{0,12}[)\]】〕]")
# Legal forms and individual-business markers at the end, longest first.
_SUFFIXES = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|分公司|总公司|公司|个体工商户|个体户|个体)+$")
# A branch: 美佳超市有限公司海沧分公司 → 美佳超市海沧.
_BRANCH = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|公司)(.{1,10}?)(?:分公司|分店|店)$")
_MARKERS = re.compile(r"^(?:个体工商户|个体户|个体)")
_NOISE = re.compile(r"[\s\-—_,，.。、·•:：;；/'\"“”‘’]+")


def _city_names() -> tuple[str, ...]:
    return tuple(getattr(settings, "GRIDAPI_ORGANISATION_PLACE_NAMES", ()))


def normalise_org_name(name: str) -> str:
    """Comparable form of an organisation's name: ``厦门市海沧区新阳好味道餐饮有限公司（个体）`` → ``新阳好味道餐饮``."""
    value = unicodedata.normalize("NFKC", name or "").lower()
    value = _BRACKETED.sub("", value)
    value = _NOISE.sub("", value)
    value = _MARKERS.sub("", value)
    value = _BRANCH.sub(r"\1", value)
    previous = None
    while previous != value:  # a suffix may hide another (…有限公司分公司)
        previous = value
        value = _SUFFIXES.sub("", value)
    stripped = _PLACE_PREFIX.sub("", value, count=1)
    places = _city_names()
    found = True
    while found:  # 厦门海沧… : one place after another
        found = False
        for place in places:
            if stripped.startswith(place) and len(stripped) > len(place) + 1:
                stripped, found = stripped[len(place) :], True
    return stripped or value


@dataclass(frozen=True)
class OrganisationEvidence:
    name_norm: str
    lon: float
    lat: float
    code_key: str = ""
    building_id: Any = None
    room: str = ""
    floor: str = ""
    phone_index: str = ""
    legal_rep_id_number_index: str = ""
    kind: str = ""


def _place_veto(evidence: OrganisationEvidence, candidate: Any) -> str | None:
    """Why two organisations in the same building cannot be merged automatically, if they cannot."""
    if not (evidence.building_id and evidence.building_id == candidate.building_id):
        return None
    if evidence.room and candidate.room and evidence.room != candidate.room:
        return "different room in the same building"
    if evidence.floor and candidate.floor and evidence.floor != candidate.floor:
        return "different floor in the same building"
    return None


def score_organisation(evidence: OrganisationEvidence, candidate: Any, *, auto_threshold: float) -> Match:
    """Score an existing organisation against what was collected."""
    if evidence.code_key and candidate.code_key:
        if evidence.code_key == candidate.code_key:
            return Match(candidate, 1.0, ["same credit code"], deterministic=True)
        return Match(candidate, 0.0, ["different credit codes"])
    same_building = bool(evidence.building_id and evidence.building_id == candidate.building_id)
    metres = distance_m(evidence.lon, evidence.lat, candidate.location.x, candidate.location.y)
    if metres > CANDIDATE_RADIUS_M and not same_building:
        return Match(candidate, 0.0, [f"{metres:.0f} m apart"])
    score, reasons = 0.0, []
    if evidence.name_norm and evidence.name_norm == candidate.name_norm:
        score += 0.6
        reasons.append("same name")
    else:
        ratio = similarity(evidence.name_norm, candidate.name_norm)
        if ratio < 0.5:
            return Match(candidate, 0.0, [f"name {ratio:.0%} alike"])
        score += 0.55 * ratio - 0.05
        reasons.append(f"name {ratio:.0%} alike")
    if same_building:
        score += 0.35
        reasons.append("same building")
    else:
        proximity = max(0.0, 1.0 - max(metres - 15.0, 0.0) / (CANDIDATE_RADIUS_M - 15.0))
        score += 0.3 * proximity
        reasons.append(f"{metres:.0f} m apart")
    if evidence.phone_index and evidence.phone_index == candidate.phone_index:
        score += 0.15
        reasons.append("same phone")
    if evidence.legal_rep_id_number_index and (
        evidence.legal_rep_id_number_index == candidate.legal_rep_id_number_index
    ):
        score += 0.15
        reasons.append("same legal representative")
    if evidence.kind and candidate.kind and evidence.kind != candidate.kind:
        score -= 0.1
    score = round(min(score, 0.99), 4)
    veto = _place_veto(evidence, candidate)
    if veto:
        reasons.append(veto)
        score = min(score, round(auto_threshold - 0.01, 4))
    return Match(candidate, score, reasons)
