"""WikiEvents (Li, Ji & Han, NAACL 2021) → our actors and events.

Native format. A JSONL file, one document a line: `doc_id`, `tokens`, `sentences` (each
`[[token, char_start, char_end], ...], sentence_text`), `entity_mentions` (document-level token
`start`/`end`, `entity_type`, `text`), `event_mentions` (`event_type`, `trigger`, `arguments`
with `role` and `entity_id`); and a `coref` JSON-lines file (`doc_key`, `clusters` of entity
mention ids). The document's own `text` field dropped the whitespace between sentences, so the
text is rebuilt by placing each sentence's text at its first token's offset: a one-character
gap between sentences becomes a space, a wider one a paragraph break (a guess: the corpus does
not say which it was; offsets are unaffected).

Mapping:
- Actors: a coreference cluster is one actor (name: its longest capitalised mention that is not
  a pronoun; aliases: its other distinct non-pronoun mentions); an entity outside every
  cluster is an actor of its own. Kind from entity_type: PER → person, GPE → state, ORG →
  armed_group when its mentions name one (militant, rebel, Islamic State, Taliban, ...) or it
  is an Attacker in the document, media / international_org by name, else political_org.
  Only PER, ORG and GPE entities become actors; places, facilities, weapons and vehicles do not
  (a FAC or VEH that is an event's Target is still a target filler).
- Events: Conflict.Attack.* → ASSAULT (DetonateExplode → explosive, AirstrikeMissileStrike →
  aerial, FirearmAttack → firearms, SelfDirectedBattle / Stabbing / Strangling / Hanging →
  physical, Unspecified → no mode), Conflict.Demonstrate.* → PROTEST (DemonstrateWithViolence →
  riot, else demonstrate), Justice.ArrestJailDetain → COERCE/arrest, Contact.ThreatenCoerce →
  THREATEN, Contact.RequestCommand → REQUEST, Justice.ReleaseParole → RETREAT/release,
  Movement.Transportation.Evacuation → AID/evacuation. Roles: Attacker, Demonstrator, Jailer,
  Communicator, Transporter, Releaser → source; Target, Victim, Detainee, Recipient,
  PassengerArtifact, Defendant → target; Place → location (the argument's text as the place).
  A filler's alternatives are every mention of its coreference cluster. The trigger's
  sentence is the evidence span.

What cannot be mapped (counted in `unmapped`): every other event type — Life.Die and
Life.Injure (consequences of an attack: our schema has a fatality count on the ASSAULT, not a
death event), Contact.Contact / Broadcast (talk without a PLOVER act), Justice trials and
charges, Control.ImpedeInterfereWith, GenericCrime, Personnel, Cognitive, Medical, other
Movement — and roles with no place in our schema (Instrument, ExplosiveDevice, Regulator,
Topic, Destination, ...). WikiEvents has no dates and no quotes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.external.common import (
    BenchmarkAdapter,
    ExternalDocument,
    GoldEvent,
    GoldFiller,
    OffsetMap,
)
from schemas.extraction import (
    MAX_ALIASES,
    ActorKind,
    EventMode,
    EventType,
    Location,
    LocationPrecision,
)
from schemas.grounded import GroundedActor
from schemas.text import PRONOUNS

# WikiEvents type prefix (up to the subtype) → our type, mode; the longest prefix wins.
EVENT_TYPES: dict[str, tuple[EventType, EventMode | None]] = {
    "Conflict.Attack": (EventType.ASSAULT, None),
    "Conflict.Attack.DetonateExplode": (EventType.ASSAULT, EventMode.EXPLOSIVE),
    "Conflict.Attack.AirstrikeMissileStrike": (EventType.ASSAULT, EventMode.AERIAL),
    "Conflict.Attack.FirearmAttack": (EventType.ASSAULT, EventMode.FIREARMS),
    "Conflict.Attack.SelfDirectedBattle": (EventType.ASSAULT, EventMode.PHYSICAL),
    "Conflict.Attack.Stabbing": (EventType.ASSAULT, EventMode.PHYSICAL),
    "Conflict.Attack.Strangling": (EventType.ASSAULT, EventMode.PHYSICAL),
    "Conflict.Attack.Hanging": (EventType.ASSAULT, EventMode.PHYSICAL),
    "Conflict.Demonstrate": (EventType.PROTEST, EventMode.DEMONSTRATE),
    "Conflict.Demonstrate.DemonstrateWithViolence": (EventType.PROTEST, EventMode.RIOT),
    "Justice.ArrestJailDetain": (EventType.COERCE, EventMode.ARREST),
    "Contact.ThreatenCoerce": (EventType.THREATEN, None),
    "Contact.RequestCommand": (EventType.REQUEST, None),
    "Justice.ReleaseParole": (EventType.RETREAT, EventMode.RELEASE),
    "Movement.Transportation.Evacuation": (EventType.AID, EventMode.EVACUATION),
}
SOURCE_ROLES = {"Attacker", "Demonstrator", "Jailer", "Communicator", "Transporter", "Releaser"}
TARGET_ROLES = {"Target", "Victim", "Detainee", "Recipient", "PassengerArtifact", "Defendant"}
PLACE_ROLE = "Place"
ACTOR_ENTITY_TYPES = {
    "PER": ActorKind.PERSON,
    "ORG": ActorKind.POLITICAL_ORG,
    "GPE": ActorKind.STATE,
}

_ARMED = re.compile(
    r"\b(militant|insurgent|rebel|guerrilla|militia|jihad|islamic state|isis|isil|daesh|is|"
    r"taliban|qaeda|shabaab|boko haram|brigade|army|forces|armed|terror)",
    re.IGNORECASE,
)
_MEDIA = re.compile(r"\b(news|times|post|agency|tv|television|radio|reuters|press)\b", re.I)
_INTERNATIONAL = re.compile(r"\b(united nations|un|nato|european union|eu|red cross)\b", re.I)


@dataclass
class Mention:
    entity_id: str
    entity_type: str
    start: int  # native character offsets
    end: int
    text: str


def load(path: Path) -> list[ExternalDocument]:
    """Every document in `path` (a .jsonl file, or a folder searched for .jsonl files), with
    coreference from the .jsonlines files beside it (or under it)."""
    root = path if path.is_dir() else path.parent
    doc_files = sorted(root.rglob("*.jsonl")) if path.is_dir() else [path]
    clusters: dict[str, list[list[str]]] = {}
    for coref_file in sorted(root.rglob("*.jsonlines")):
        for record in _json_lines(coref_file):
            clusters[record["doc_key"]] = record.get("clusters", [])
    return [
        adapt(record, clusters.get(record["doc_id"], []))
        for doc_file in doc_files
        for record in _json_lines(doc_file)
    ]


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def rebuild_text(sentences: list[list[Any]]) -> str:
    """Each sentence's text at its first token's offset; gaps become whitespace."""
    out: list[str] = []
    end = 0
    for tokens, sentence_text in sentences:
        start = tokens[0][1]
        if start > end:
            gap = start - end
            out.append(" " if gap == 1 or not out else "\n" * gap)
        if len(sentence_text) == tokens[-1][2] - start:
            out.append(sentence_text)
        else:  # sentence text disagrees with the offsets: fall back on the tokens
            out.append(_place_tokens(tokens, start))
        end = tokens[-1][2]
    return "".join(out)


def _place_tokens(tokens: list[list[Any]], origin: int) -> str:
    chars: list[str] = []
    for token, start, end in tokens:
        chars.extend(" " * (start - origin - len(chars)))
        chars.extend(str(token)[: end - start].ljust(end - start))
    return "".join(chars)


def adapt(record: dict[str, Any], clusters: list[list[str]]) -> ExternalDocument:
    native = rebuild_text(record["sentences"])
    offsets = OffsetMap(native)
    token_chars = [(t[1], t[2]) for tokens, _ in record["sentences"] for t in tokens]
    # the native character range of the sentence each token is in: an event's evidence
    sentence_of_token = [
        (tokens[0][1], tokens[-1][2]) for tokens, _ in record["sentences"] for _t in tokens
    ]
    mentions = {
        m["id"]: Mention(
            entity_id=m["id"],
            entity_type=m["entity_type"],
            start=token_chars[m["start"]][0],
            end=token_chars[m["end"] - 1][1],
            text=m["text"],
        )
        for m in record["entity_mentions"]
    }
    cluster_of = {mid: tuple(c) for c in clusters for mid in c if mid in mentions}
    doc = ExternalDocument(doc_id=record["doc_id"], text=offsets.text)
    doc.native.update(
        entity_mentions=len(mentions),
        event_mentions=len(record["event_mentions"]),
        arguments=sum(len(e["arguments"]) for e in record["event_mentions"]),
        coref_clusters=len(clusters),
    )
    attackers: set[tuple[str, ...]] = set()
    for event in record["event_mentions"]:
        mapped = _event(event, mentions, cluster_of, sentence_of_token, offsets, doc)
        if mapped is not None and mapped.event_type == EventType.ASSAULT:
            attackers |= {
                cluster_of.get(a["entity_id"], (a["entity_id"],))
                for a in event["arguments"]
                if a["role"] in SOURCE_ROLES
            }
    doc.actors = _actors(mentions, cluster_of, offsets, attackers)
    return doc


def _event(
    event: dict[str, Any],
    mentions: dict[str, Mention],
    cluster_of: dict[str, tuple[str, ...]],
    sentence_of_token: list[tuple[int, int]],
    offsets: OffsetMap,
    doc: ExternalDocument,
) -> GoldEvent | None:
    native_type = event["event_type"]
    mapping = _event_type(native_type)
    if mapping is None:
        doc.unmapped[f"event_type:{native_type}"] += 1
        return None
    event_type, mode = mapping
    gold = GoldEvent(event_type=event_type, mode=mode, native_type=native_type)
    for argument in event["arguments"]:
        role, entity_id = argument["role"], argument["entity_id"]
        if entity_id not in mentions:
            doc.unmapped["argument_without_entity"] += 1
        elif role in SOURCE_ROLES or role in TARGET_ROLES:
            alternatives = _alternatives(mentions[entity_id], cluster_of, mentions)
            fillers = gold.sources if role in SOURCE_ROLES else gold.targets
            fillers.append(GoldFiller(alternatives=alternatives))
        elif role == PLACE_ROLE and gold.location is None:
            gold.location = Location(
                place=mentions[entity_id].text[:80], precision=LocationPrecision.UNKNOWN
            )
        else:
            doc.unmapped["place_beyond_first" if role == PLACE_ROLE else f"role:{role}"] += 1
    gold.evidence_span = offsets.span(*sentence_of_token[event["trigger"]["start"]])
    doc.events.append(gold)
    return gold


def _event_type(native_type: str) -> tuple[EventType, EventMode | None] | None:
    parts = native_type.split(".")
    for n in range(len(parts), 1, -1):
        if (prefix := ".".join(parts[:n])) in EVENT_TYPES:
            return EVENT_TYPES[prefix]
    return None


def _alternatives(
    mention: Mention, cluster_of: dict[str, tuple[str, ...]], mentions: dict[str, Mention]
) -> list[str]:
    """The argument's own words first, then its cluster's names; a pronoun only when the
    cluster has nothing else."""
    names = sorted(_names(cluster_of.get(mention.entity_id, ()), mentions), key=_name_rank)
    if mention.text.casefold() in PRONOUNS:
        return _distinct(names) or [mention.text]
    return _distinct([mention.text, *names])


def _names(members: Iterable[str], mentions: dict[str, Mention]) -> list[str]:
    return [mentions[m].text for m in members if mentions[m].text.casefold() not in PRONOUNS]


def _distinct(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


def _actors(
    mentions: dict[str, Mention],
    cluster_of: dict[str, tuple[str, ...]],
    offsets: OffsetMap,
    attackers: set[tuple[str, ...]],
) -> list[GroundedActor]:
    groups: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    for mid in mentions:  # document order
        group = cluster_of.get(mid, (mid,))
        if group not in seen:
            seen.add(group)
            groups.append(group)
    actors = []
    for group in groups:
        # the cluster's most frequent entity type (first mention's on a tie)
        entity_type = Counter(mentions[m].entity_type for m in group).most_common(1)[0][0]
        names = _distinct(sorted(_names(group, mentions), key=_name_rank))
        if entity_type not in ACTOR_ENTITY_TYPES or not names:
            continue
        actors.append(
            GroundedActor(
                name=names[0][:120],
                aliases=[n[:120] for n in names[1 : 1 + MAX_ALIASES]],
                kind=_kind(entity_type, names, group in attackers),
                mentions=sorted(
                    (offsets.span(mentions[m].start, mentions[m].end) for m in group),
                    key=lambda s: s.start or 0,
                ),
            )
        )
    return actors


def _name_rank(name: str) -> tuple[bool, int]:
    """Capitalised names first, longer first."""
    return (not name[:1].isupper(), -len(name))


def _kind(entity_type: str, names: list[str], is_attacker: bool) -> ActorKind:
    if entity_type != "ORG":
        return ACTOR_ENTITY_TYPES[entity_type]
    joined = " | ".join(names)
    if _MEDIA.search(joined):
        return ActorKind.MEDIA
    if _INTERNATIONAL.search(joined):
        return ActorKind.INTERNATIONAL_ORG
    if is_attacker or _ARMED.search(joined):
        return ActorKind.ARMED_GROUP
    return ActorKind.POLITICAL_ORG


ADAPTER = BenchmarkAdapter(
    name="wikievents",
    path_help="A WikiEvents .jsonl file or folder; coreference .jsonlines beside it.",
    load=load,
    event_types=frozenset(t for t, _ in EVENT_TYPES.values()),
)
