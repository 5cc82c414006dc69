"""MUC-4 (1992) terrorism templates → our events.

Native format. A messages file holds messages that each start with an id line
(`<SET>-<TASK>-NNNN`), then a dateline paragraph `City, DD Mon YY (Agency) -- [...] ...` and
fixed-width wrapped paragraphs (latin-1). We rebuild the text by unwrapping each paragraph onto
one line, paragraphs separated by a blank line; the dateline's city and date become the
article's `dateline` and `published_at`. An answer-key file holds templates of numbered slots
`0.`–`24.`; a slot's further fills are continuation lines; `/` separates equally acceptable
alternatives, a leading `?` marks an optional fill, `-` is empty and `*` not applicable; a
message without a relevant incident has one template whose slots are all `*`, and a template
numbered `N (OPTIONAL)` is optional as a whole.

Mapping (one template = one event):
- INCIDENT TYPE → event type and mode: ATTACK, MURDER → ASSAULT (mode from the instrument
  type: GUN… → firearms, BOMB/GRENADE/MINE/DYNAMITE… → explosive, MORTAR/ROCKET… →
  shelling, AERIAL BOMB → aerial, KNIFE/STONE/TORTURE… → physical); BOMBING → ASSAULT/
  explosive; KIDNAPPING, HIJACKING → ASSAULT/abduction; ARSON → COERCE/destroy and ROBBERY →
  COERCE/seize (our codebook: damage to property without bodily harm is COERCE, not
  ASSAULT); FORCED WORK STOPPAGE → COERCE/restrict. STAGE OF EXECUTION = THREATENED →
  THREATEN (whatever the incident type).
- PERP: INDIVIDUAL ID and PERP: ORGANIZATION ID → sources (each fill line one filler, its `/`
  alternatives all accepted; a filler named in both slots is kept once).
- PHYS TGT: ID, HUM TGT: NAME and HUM TGT: DESCRIPTION → targets; a description tied to a
  name (`"CORPORAL": "JOHN DOE"`) joins that name's filler as one more alternative.
- INCIDENT: DATE → date: one day → precision day; a range `D1 - D2` → D2 with precision week
  (≤ 7 days), month (≤ 31) or year; an open range `- D` ("on or before D") → no date.
- INCIDENT: LOCATION → location: `COUNTRY: PLACE (TYPE): ...`; the most specific CITY / TOWN /
  VILLAGE / DISTRICT / ... is the place, DEPARTMENT / PROVINCE / ... the admin area. The
  first alternative is kept.

What the mapping cannot express (dropped, not counted as unmapped): stage ATTEMPTED (kept as
the event, not marked as failed), instrument ids, perpetrator incident category (TERRORIST ACT
/ STATE-SPONSORED VIOLENCE) and organisation confidence (CLAIMED, SUSPECTED … would be our
status `claimed` at best; not mapped, all events are `asserted`), target types, numbers,
foreign nations, effects (death, injury, damage: our `fatalities` is a count and MUC-4 keys a
per-target effect), date and location alternatives beyond the first, and the split between
individual and organisation perpetrators. Incident types outside the table are counted as
unmapped. Only terrorist incidents are templated: ordinary army–guerrilla fighting is out of
the key, so a predicted ASSAULT the key lacks is not necessarily wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from evals.external.common import BenchmarkAdapter, ExternalDocument, GoldEvent, GoldFiller
from schemas.extraction import (
    MAX_ALIASES,
    ActorKind,
    DatePrecision,
    EventMode,
    EventType,
    Location,
    LocationPrecision,
)
from schemas.grounded import GroundedActor
from schemas.text import normalize_article_text

ENCODING = "latin-1"
_MESSAGE_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+-\d{4}\s*$")
_DATELINE = re.compile(
    r"^(?P<place>.+?), (?P<day>\d{1,2}) (?P<month>[A-Za-z]{3})[a-z]* (?P<year>\d{2,4})\b"
)
_SLOT = re.compile(r"^(?P<num>\d{1,2})\.\s+(?P<label>\S.*?)(?:\s{2,}(?P<fill>\S.*))?$")
_KEY_MARK = re.compile(r"^0\.\s+MESSAGE: ID\b", re.MULTILINE)
_DATE = re.compile(r"^(\d{1,2}) ([A-Z]{3}) (\d{2,4})$")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

# Slot numbers of the MUC-4 template.
ID, TEMPLATE, DATE, LOCATION, TYPE, STAGE, INSTRUMENT_TYPE = 0, 1, 2, 3, 4, 5, 7
PERP_INDIVIDUAL, PERP_ORGANIZATION, PHYS_TARGET, HUM_NAME, HUM_DESCRIPTION = 9, 10, 12, 18, 19

INCIDENT_TYPES: dict[str, tuple[EventType, EventMode | None]] = {
    "ATTACK": (EventType.ASSAULT, None),
    "MURDER": (EventType.ASSAULT, None),
    "BOMBING": (EventType.ASSAULT, EventMode.EXPLOSIVE),
    "KIDNAPPING": (EventType.ASSAULT, EventMode.ABDUCTION),
    "HIJACKING": (EventType.ASSAULT, EventMode.ABDUCTION),
    "ARSON": (EventType.COERCE, EventMode.DESTROY),
    "ROBBERY": (EventType.COERCE, EventMode.SEIZE),
    "FORCED WORK STOPPAGE": (EventType.COERCE, EventMode.RESTRICT),
}
# Instrument type → ASSAULT mode, for incident types that leave the mode open.
INSTRUMENT_MODES: dict[str, EventMode] = {
    **dict.fromkeys(
        ["GUN", "MACHINE GUN", "HANDGUN", "RIFLE", "SUBMACHINE GUN"], EventMode.FIREARMS
    ),
    **dict.fromkeys(
        ["BOMB", "VEHICLE BOMB", "CAR BOMB", "TRUCK BOMB", "GRENADE", "DYNAMITE", "MINE"],
        EventMode.EXPLOSIVE,
    ),
    "EXPLOSIVE": EventMode.EXPLOSIVE,
    **dict.fromkeys(["MORTAR", "ROCKET", "MISSILE", "PROJECTILE", "BAZOOKA"], EventMode.SHELLING),
    "AERIAL BOMB": EventMode.AERIAL,
    **dict.fromkeys(["KNIFE", "CUTTING DEVICE", "STONE", "TORTURE"], EventMode.PHYSICAL),
}
_PLACE_TYPES = {"CITY", "TOWN", "VILLAGE", "DISTRICT", "NEIGHBORHOOD", "HAMLET", "BARRIO", "PORT"}


# --- the key's fill syntax ----------------------------------------------------------------------


@dataclass
class Fill:
    """One fill line: `[?] V1 / V2 [: "XREF" / ...]`; string values are unquoted."""

    values: list[str]
    xref: list[str] = field(default_factory=list)
    optional: bool = False

    @property
    def empty(self) -> bool:
        return not self.values or self.values[0] in {"-", "*"}


def parse_fill(line: str) -> Fill:
    line = line.strip()
    optional = line.startswith("?")
    body = line[1:].strip() if optional else line
    head, xref = _split_top(body, ":", first_only=True), ""
    if len(head) == 2 and head[1].lstrip().startswith('"'):
        body, xref = head[0], head[1]
    return Fill(values=_alternatives(body), xref=_alternatives(xref), optional=optional)


def _split_top(text: str, sep: str, *, first_only: bool = False) -> list[str]:
    """Split on `sep` outside double quotes (a backslash escapes a quote)."""
    parts: list[str] = []
    current: list[str] = []
    in_quote, i = False, 0
    while i < len(text):
        ch = text[i]
        if in_quote and ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == '"':
            in_quote = not in_quote
        if ch == sep and not in_quote and not (first_only and len(parts) == 1):
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _alternatives(text: str) -> list[str]:
    values = []
    for part in _split_top(text, "/"):
        part = part.strip()
        if len(part) >= 2 and part[0] == part[-1] == '"':
            part = part[1:-1].replace('\\"', '"')
        if part:
            values.append(part)
    return values


# --- files -------------------------------------------------------------------------------------


@dataclass
class Message:
    doc_id: str
    text: str
    published_at: dt.date | None
    dateline: str | None


Template = dict[int, list[str]]  # slot number → its fill lines


def parse_messages(raw: str) -> list[Message]:
    lines = raw.splitlines()
    messages: list[Message] = []
    doc_id: str | None = None
    body: list[str] = []
    for line in [*lines, None]:
        if line is None or _MESSAGE_ID.match(line):
            if doc_id is not None:
                messages.append(_message(doc_id, body))
            doc_id, body = (line.strip() if line else None), []
        elif doc_id is not None:
            body.append(line)
    return messages


def _message(doc_id: str, lines: list[str]) -> Message:
    paragraphs: list[list[str]] = []
    for line in lines:
        if not line.strip():
            paragraphs.append([])
        elif line.startswith("   ") and paragraphs and paragraphs[-1]:
            paragraphs.append([line.strip()])  # an indented first line starts a paragraph
        else:
            if not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append(line.strip())
    text = normalize_article_text("\n\n".join(" ".join(p) for p in paragraphs if p))
    published_at, dateline = None, None
    if m := _DATELINE.match(text):
        dateline = m["place"]
        published_at = _date(f"{int(m['day']):02d} {m['month'].upper()} {m['year']}")
    return Message(doc_id=doc_id, text=text, published_at=published_at, dateline=dateline)


def parse_key(raw: str) -> list[Template]:
    templates: list[Template] = []
    slot: int | None = None
    for line in raw.splitlines():
        if not line.strip():
            continue
        if m := _SLOT.match(line):
            slot = int(m["num"])
            if slot == ID:
                templates.append({})
            if templates:
                templates[-1].setdefault(slot, []).append(m["fill"] or "")
        elif slot is not None and templates and line[:1].isspace():
            templates[-1][slot].append(line.strip())
    return templates


# --- mapping -----------------------------------------------------------------------------------


def template_event(template: Template) -> tuple[GoldEvent | None, str | None]:
    """(event, None), or (None, reason) when the template holds no mappable incident."""
    number = " ".join(template.get(TEMPLATE, ["*"]))
    kinds = _fills(template, TYPE)
    if number.strip() in {"*", ""} or not kinds:
        return None, None  # no relevant incident in the message
    native_type = kinds[0].values[0]
    stage = _fills(template, STAGE)
    if stage and stage[0].values[0] == "THREATENED":
        event_type, mode = EventType.THREATEN, None
    elif native_type in INCIDENT_TYPES:
        event_type, mode = INCIDENT_TYPES[native_type]
    else:
        return None, f"incident_type:{native_type}"
    if event_type == EventType.ASSAULT and mode is None:
        mode = _instrument_mode(template)
    date, precision = _incident_date(template)
    return (
        GoldEvent(
            event_type=event_type,
            mode=mode,
            native_type=native_type,
            sources=_merge(_string_fillers(template, PERP_INDIVIDUAL, PERP_ORGANIZATION)),
            targets=_merge(_targets(template)),
            date=date,
            date_precision=precision,
            location=_location(template),
            optional="OPTIONAL" in number,
        ),
        None,
    )


def _fills(template: Template, slot: int) -> list[Fill]:
    return [f for f in map(parse_fill, template.get(slot, [])) if not f.empty]


def _string_fillers(template: Template, *slots: int) -> list[GoldFiller]:
    return [
        GoldFiller(alternatives=f.values, optional=f.optional)
        for slot in slots
        for f in _fills(template, slot)
    ]


def _targets(template: Template) -> list[GoldFiller]:
    fillers = _string_fillers(template, PHYS_TARGET, HUM_NAME)
    by_name = {alt: f for f in fillers for alt in f.alternatives}
    for fill in _fills(template, HUM_DESCRIPTION):
        named = next((by_name[x] for x in fill.xref if x in by_name), None)
        if named is not None:
            named.alternatives.extend(v for v in fill.values if v not in named.alternatives)
        else:
            fillers.append(GoldFiller(alternatives=fill.values, optional=fill.optional))
    return fillers


def _merge(fillers: list[GoldFiller]) -> list[GoldFiller]:
    """Drop a filler that shares an alternative with an earlier one (the same entity keyed in
    two slots); a required filler wins over an optional one."""
    kept: list[GoldFiller] = []
    for filler in fillers:
        twin = next((k for k in kept if set(k.alternatives) & set(filler.alternatives)), None)
        if twin is None:
            kept.append(filler)
        else:
            twin.optional = twin.optional and filler.optional
            twin.alternatives.extend(a for a in filler.alternatives if a not in twin.alternatives)
    return kept


def _instrument_mode(template: Template) -> EventMode | None:
    for fill in _fills(template, INSTRUMENT_TYPE):
        for value in fill.values:
            if value in INSTRUMENT_MODES:
                return INSTRUMENT_MODES[value]
    return None


def _incident_date(template: Template) -> tuple[dt.date | None, DatePrecision]:
    fills = _fills(template, DATE)
    if not fills:
        return None, DatePrecision.UNKNOWN
    first = fills[0].values[0].strip("() ")
    low, dash, high = (p.strip() for p in first.partition("-"))
    if not dash:
        day = _date(first)
        return day, DatePrecision.DAY if day else DatePrecision.UNKNOWN
    start, end = _date(low), _date(high)
    if start is None or end is None:
        return None, DatePrecision.UNKNOWN  # "- D": on or before D, an open range
    days = (end - start).days
    if days <= 7:
        return end, DatePrecision.WEEK
    return end, DatePrecision.MONTH if days <= 31 else DatePrecision.YEAR


def _date(text: str) -> dt.date | None:
    m = _DATE.match(text.strip().upper())
    if not m or m[2] not in _MONTHS:
        return None
    year = int(m[3]) + (1900 if len(m[3]) == 2 else 0)
    try:
        return dt.date(year, _MONTHS.index(m[2]) + 1, int(m[1]))
    except ValueError:
        return None


def _location(template: Template) -> Location | None:
    lines = template.get(LOCATION, [])
    if not lines or lines[0].strip() in {"-", "*", ""}:
        return None
    alternative = _unwrap(_split_outside_parens(lines[0].strip().lstrip("?"))[0])
    parts = [p.strip() for p in alternative.split(":")]
    location = Location(country=parts[0].title(), precision=LocationPrecision.COUNTRY)
    for part in parts[1:]:
        m = re.match(r"^(.*?)\s*\(([A-Z ]+)\)$", part)
        name, kind = (m[1], m[2]) if m else (part, "")
        if kind in _PLACE_TYPES or not kind:
            location.place, location.precision = name.title(), LocationPrecision.PLACE
        elif location.admin_area is None:  # the widest admin level (department > municipality)
            location.admin_area = name.title()
            if location.place is None:
                location.precision = LocationPrecision.ADMIN_AREA
    return location


def _split_outside_parens(text: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "/" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def _unwrap(text: str) -> str:
    """`(A: B (CITY))` → `A: B (CITY)`; `A: B (CITY)` is left alone."""
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                return text[1:-1].strip() if i == len(text) - 1 else text
    return text


# --- loading -----------------------------------------------------------------------------------


def load(path: Path) -> list[ExternalDocument]:
    """Every message under `path` (a file or a folder of message and key files), with its
    templates mapped. Files are told apart by content, not by name."""
    files = sorted(p for p in (path.rglob("*") if path.is_dir() else [path]) if p.is_file())
    messages: list[Message] = []
    templates: list[Template] = []
    for file in files:
        raw = file.read_text(encoding=ENCODING)
        head = raw[:4000]
        if _KEY_MARK.search(head):
            templates.extend(parse_key(raw))
        elif any(_MESSAGE_ID.match(line) for line in head.splitlines()[:3]):
            messages.extend(parse_messages(raw))
    by_id: dict[str, list[Template]] = {}
    for template in templates:
        doc_id = " ".join(template.get(ID, [""])).strip()
        by_id.setdefault(doc_id, []).append(template)
    return [_document(m, by_id.get(m.doc_id, [])) for m in messages]


def _document(message: Message, templates: list[Template]) -> ExternalDocument:
    doc = ExternalDocument(
        doc_id=message.doc_id,
        text=message.text,
        published_at=message.published_at,
        dateline=message.dateline,
    )
    doc.native["templates"] = len(templates)
    for template in templates:
        event, reason = template_event(template)
        if event is not None:
            doc.events.append(event)
        elif reason is not None:
            doc.unmapped[reason] += 1
    if not templates:
        doc.unmapped["message_without_key"] += 1
    doc.actors = _actors(doc.events)
    return doc


def _actors(events: list[GoldEvent]) -> list[GroundedActor]:
    """Fillers as actors (kind `other`: MUC-4 fills are perpetrators and targets, not typed
    as our actor kinds); aliases are the other alternatives, as many as the schema allows."""
    seen: set[str] = set()
    actors: list[GroundedActor] = []
    for event in events:
        for filler in [*event.sources, *event.targets]:
            if filler.name in seen:
                continue
            seen.add(filler.name)
            actors.append(
                GroundedActor(
                    name=filler.name[:120],
                    aliases=[a[:120] for a in filler.alternatives[1 : 1 + MAX_ALIASES]],
                    kind=ActorKind.OTHER,
                )
            )
    return actors


ADAPTER = BenchmarkAdapter(
    name="muc4",
    path_help="A folder of MUC-4 message files and answer keys (told apart by content).",
    load=load,
    event_types=frozenset(t for t, _ in INCIDENT_TYPES.values()) | {EventType.THREATEN},
)
