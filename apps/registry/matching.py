"""Scoring of candidate matches (pure functions: no database access).

Deterministic keys decide alone (the same standard address code; the same valid ID number or passport);
fuzzy evidence only proposes, and a veto (different house number, different ID numbers, different
gender) forbids a merge whatever else agrees. See the matching design note.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from apps.core.geo.crs import distance_m
from apps.core.text import edit_distance_at_most_one, normalise_name, similarity

CANDIDATE_RADIUS_M = 80.0


@dataclass
class Match:
    """A scored candidate: ``score`` in 0..1 and the reasons that produced it (shown to people)."""

    record: Any
    score: float
    reasons: list[str] = field(default_factory=list)
    deterministic: bool = False
    # Among deterministic matches, the stronger key wins: an ID number over a passport (both 1.0).
    precedence: int = 0


@dataclass(frozen=True)
class BuildingEvidence:
    lon: float
    lat: float
    address_norm: str
    house_number: str | None
    block_number: str | None
    address_code: str = ""
    name: str = ""
    use: str = ""


def score_building(evidence: BuildingEvidence, candidate: Any) -> Match:
    """Score an existing building against what was collected."""
    if evidence.address_code and candidate.address_code == evidence.address_code:
        return Match(candidate, 1.0, ["same standard address code"], deterministic=True)
    if evidence.address_code and candidate.address_code and candidate.address_code != evidence.address_code:
        return Match(candidate, 0.0, ["different standard address codes"])
    reasons: list[str] = []
    if evidence.house_number and candidate.house_number and evidence.house_number != candidate.house_number:
        return Match(candidate, 0.0, ["different house number"])
    if evidence.block_number and candidate.block_number and evidence.block_number != candidate.block_number:
        return Match(candidate, 0.0, ["different block number"])
    metres = distance_m(evidence.lon, evidence.lat, candidate.location.x, candidate.location.y)
    if metres > CANDIDATE_RADIUS_M:
        return Match(candidate, 0.0, [f"{metres:.0f} m apart"])
    score = 0.0
    if evidence.address_norm and evidence.address_norm == candidate.address_norm:
        score += 0.6
        reasons.append("same address")
    else:
        ratio = similarity(evidence.address_norm, candidate.address_norm)
        if evidence.house_number and evidence.house_number == candidate.house_number:
            score += 0.3 + 0.25 * ratio
            reasons.append(f"same house number, address {ratio:.0%} alike")
        else:
            score += 0.4 * ratio
            reasons.append(f"address {ratio:.0%} alike")
    proximity = max(0.0, 1.0 - max(metres - 10.0, 0.0) / (CANDIDATE_RADIUS_M - 10.0))
    score += 0.3 * proximity
    reasons.append(f"{metres:.0f} m apart")
    if evidence.name and candidate.name:
        if normalise_name(evidence.name) == normalise_name(candidate.name):
            score += 0.1
            reasons.append("same building name")
        else:
            score -= 0.1
    if evidence.use and candidate.use and evidence.use == candidate.use:
        score += 0.05
    return Match(candidate, round(min(score, 0.99), 4), reasons)


@dataclass(frozen=True)
class PersonEvidence:
    name: str
    name_key: str
    gender: str = ""
    birth_date: dt.date | None = None
    id_number_index: str = ""
    phone_index: str = ""
    passport_index: str = ""
    building_id: Any = None


def score_person(
    evidence: PersonEvidence, candidate: Any, candidate_buildings: set[Any] | None = None
) -> Match:
    """Score an existing person against what was collected."""
    if evidence.id_number_index and candidate.id_number_index:
        if evidence.id_number_index == candidate.id_number_index:
            return Match(candidate, 1.0, ["same ID number"], deterministic=True, precedence=1)
        return Match(candidate, 0.0, ["different ID numbers"])
    if evidence.passport_index and candidate.passport_index:
        if evidence.passport_index == candidate.passport_index:
            return Match(candidate, 1.0, ["same passport number"], deterministic=True)
        return Match(candidate, 0.0, ["different passport numbers"])
    if evidence.gender and candidate.gender and evidence.gender != candidate.gender:
        return Match(candidate, 0.0, ["different gender"])
    if evidence.birth_date and candidate.birth_date and evidence.birth_date != candidate.birth_date:
        return Match(candidate, 0.0, ["different birth date"])
    score, reasons = 0.0, []
    same_name = normalise_name(evidence.name) == normalise_name(candidate.name)
    if same_name:
        score += 0.45
        reasons.append("same name")
    elif evidence.name_key == candidate.name_key:
        score += 0.3
        reasons.append("same name in pinyin")
    elif edit_distance_at_most_one(normalise_name(evidence.name), normalise_name(candidate.name)) or (
        edit_distance_at_most_one(evidence.name_key, candidate.name_key)
    ):
        score += 0.2
        reasons.append("name differs by one character")
    if evidence.birth_date and evidence.birth_date == candidate.birth_date:
        score += 0.3
        reasons.append("same birth date")
    if evidence.phone_index and evidence.phone_index == candidate.phone_index:
        score += 0.3
        reasons.append("same phone")
    if evidence.building_id and candidate_buildings and evidence.building_id in candidate_buildings:
        score += 0.15
        reasons.append("lives in the same building")
    if evidence.gender and evidence.gender == candidate.gender:
        score += 0.05
    return Match(candidate, round(min(score, 0.99), 4), reasons)


def best(matches: list[Match]) -> Match | None:
    """The highest-scoring match (deterministic ones first); None when nothing scores."""
    scored = [m for m in matches if m.score > 0]
    if not scored:
        return None
    return max(scored, key=lambda m: (m.deterministic, m.precedence, m.score, str(m.record.pk)))
