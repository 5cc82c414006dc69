"""Crosswalk from PLOVER type + mode to ACLED event type / sub-event type.

Derived, never asked from the model. Every PLOVER type has an entry for "no mode" and for each
of its modes: either an ACLED category or the reason ACLED has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.extraction import MODES_BY_TYPE, EventMode, EventType


@dataclass(frozen=True)
class AcledCategory:
    event_type: str
    sub_event_type: str


@dataclass(frozen=True)
class NotInAcled:
    reason: str


BATTLES = "Battles"
REMOTE = "Explosions/Remote violence"
VAC = "Violence against civilians"
PROTESTS = "Protests"
RIOTS = "Riots"
STRATEGIC = "Strategic developments"

_VERBAL = NotInAcled(
    "ACLED codes political violence, demonstrations and strategic developments; "
    "verbal and diplomatic interactions are outside its scope"
)
_NO_AID = NotInAcled("ACLED has no category for aid, relief or evacuations")
_ASSAULT_UNSPECIFIED = NotInAcled(
    "without a mode an assault may be a battle, remote violence or violence against "
    "civilians; the mode decides"
)

Crosswalk = dict[tuple[EventType, EventMode | None], AcledCategory | NotInAcled]
T, M = EventType, EventMode
CROSSWALK: Crosswalk = {
    (T.ASSAULT, None): _ASSAULT_UNSPECIFIED,
    (T.ASSAULT, M.FIREARMS): AcledCategory(BATTLES, "Armed clash"),
    (T.ASSAULT, M.AERIAL): AcledCategory(REMOTE, "Air/drone strike"),
    (T.ASSAULT, M.SHELLING): AcledCategory(REMOTE, "Shelling/artillery/missile attack"),
    (T.ASSAULT, M.EXPLOSIVE): AcledCategory(REMOTE, "Remote explosive/landmine/IED"),
    (T.ASSAULT, M.SUICIDE): AcledCategory(REMOTE, "Suicide bomb"),
    (T.ASSAULT, M.CHEMICAL): AcledCategory(REMOTE, "Chemical weapon"),
    (T.ASSAULT, M.ABDUCTION): AcledCategory(VAC, "Abduction/forced disappearance"),
    (T.ASSAULT, M.SEXUAL): AcledCategory(VAC, "Sexual violence"),
    (T.ASSAULT, M.PHYSICAL): AcledCategory(VAC, "Attack"),
    (T.COERCE, None): AcledCategory(STRATEGIC, "Other"),
    (T.COERCE, M.ARREST): AcledCategory(STRATEGIC, "Arrests"),
    (T.COERCE, M.SEIZE): AcledCategory(STRATEGIC, "Looting/property destruction"),
    (T.COERCE, M.DESTROY): AcledCategory(STRATEGIC, "Looting/property destruction"),
    (T.COERCE, M.RESTRICT): AcledCategory(STRATEGIC, "Other"),
    (T.PROTEST, None): AcledCategory(PROTESTS, "Peaceful protest"),
    (T.PROTEST, M.DEMONSTRATE): AcledCategory(PROTESTS, "Peaceful protest"),
    (T.PROTEST, M.STRIKE): AcledCategory(PROTESTS, "Peaceful protest"),
    (T.PROTEST, M.RIOT): AcledCategory(RIOTS, "Violent demonstration"),
    (T.AGREE, None): AcledCategory(STRATEGIC, "Agreement"),
    (T.AGREE, M.DEAL): AcledCategory(STRATEGIC, "Agreement"),
    (T.AGREE, M.CEASEFIRE): AcledCategory(STRATEGIC, "Agreement"),
    (T.AGREE, M.EVACUATION): AcledCategory(STRATEGIC, "Agreement"),
    (T.RETREAT, None): AcledCategory(STRATEGIC, "Other"),
    (T.RETREAT, M.WITHDRAW): AcledCategory(STRATEGIC, "Non-violent transfer of territory"),
    (T.RETREAT, M.SURRENDER): AcledCategory(STRATEGIC, "Change to group/activity"),
    (T.RETREAT, M.RELEASE): AcledCategory(STRATEGIC, "Other"),
    (T.RETREAT, M.CEASEFIRE): AcledCategory(STRATEGIC, "Agreement"),
    (T.MOBILIZE, None): AcledCategory(STRATEGIC, "Change to group/activity"),
    (T.MOBILIZE, M.TROOPS): AcledCategory(STRATEGIC, "Change to group/activity"),
    (T.THREATEN, None): _VERBAL,
    (T.THREATEN, M.ULTIMATUM): _VERBAL,
    (T.THREATEN, M.MILITARY): _VERBAL,
    (T.AID, None): _NO_AID,
    (T.AID, M.HUMANITARIAN): _NO_AID,
    (T.AID, M.EVACUATION): _NO_AID,
    (T.AID, M.MILITARY): _NO_AID,
    (T.AID, M.ECONOMIC): _NO_AID,
    (T.SANCTION, None): _VERBAL,
    (T.SANCTION, M.EMBARGO): _VERBAL,
    (T.CONSULT, None): _VERBAL,
    (T.SUPPORT, None): _VERBAL,
    (T.CONCEDE, None): _VERBAL,
    (T.COOPERATE, None): _VERBAL,
    (T.REQUEST, None): _VERBAL,
    (T.ACCUSE, None): _VERBAL,
    (T.REJECT, None): _VERBAL,
}
del T, M


def expected_keys() -> set[tuple[EventType, EventMode | None]]:
    """Every (type, mode) the schema allows: the crosswalk must cover exactly these."""
    keys: set[tuple[EventType, EventMode | None]] = {(t, None) for t in EventType}
    keys |= {(t, m) for t, modes in MODES_BY_TYPE.items() for m in modes}
    return keys


def acled_category(event_type: EventType, mode: EventMode | None) -> AcledCategory | None:
    """The ACLED category of a PLOVER type + mode, or None where ACLED has none."""
    entry = CROSSWALK.get((event_type, mode))
    return entry if isinstance(entry, AcledCategory) else None
