"""The words that tell an actor's kind, or that a name is no actor: groups of people,
members and institutions, descriptions and pronouns, outlets and platforms (shared by
api.llm.actor_candidates, which finds actors, and api.llm.roles, which maps phrases to them).
"""

from __future__ import annotations

from typing import Any

from api.llm.actors import AliasTable
from schemas.extraction import ActorKind
from schemas.text import name_key

# The article's own outlet is never an actor ("told AFP").
NEWS_AGENCIES = frozenset(
    {"afp", "reuters", "ap", "associated press", "agence france presse", "efe", "xinhua"}
)
# Heads that take their actor from an "of" phrase ("members of the SDF").
MEMBER_NOUNS = frozenset(
    {"member", "official", "fighter", "troop", "force", "leader", "representative",
     "delegation", "spokesman", "spokeswoman", "spokesperson", "envoy", "commander", "head",
     "chief", "soldier", "militant", "unit", "wing", "minister", "delegate"}
)  # fmt: skip
# Nouns a name is the place of ("the Kalaban Coura and Niamakoro neighbourhoods").
PLACE_NOUNS = frozenset(
    {"neighbourhood", "neighborhood", "district", "camp", "province", "region", "area",
     "village", "town", "city", "governorate", "suburb", "quarter", "county"}
)  # fmt: skip
# Where someone said something ("said on Twitter"), not who said it.
PLATFORMS = frozenset(
    {"twitter", "facebook", "telegram", "whatsapp", "youtube", "instagram", "tiktok", "x"}
)
# Words that alone describe an actor rather than name one ("the group", "the forces"): never
# an actor's name; a description is resolved to the actor it refers to (api.llm.roles).
GENERIC_NAMES = frozenset(
    {"state", "forces", "army", "group", "government", "council", "coalition", "ministry",
     "military", "police", "authorities", "regime", "movement", "front", "union", "party",
     "islamic", "militia", "alliance"}
)  # fmt: skip
# Nouns for groups of people, and the kind of actor each makes.
GROUP_NOUNS: dict[str, ActorKind] = {
    **dict.fromkeys(
        ("civilians", "residents", "protesters", "demonstrators", "villagers", "families",
         "students", "workers", "refugees", "migrants", "hostages", "prisoners", "detainees",
         "children", "women", "worshippers", "displaced", "mourners", "crowds"),
        ActorKind.CIVILIANS,
    ),
    **dict.fromkeys(
        ("gunmen", "militants", "rebels", "insurgents", "jihadists", "fighters", "militia",
         "militias", "extremists", "terrorists", "attackers", "paramilitaries", "guerrillas",
         "assailants", "bombers", "kidnappers", "bandits"),
        ActorKind.ARMED_GROUP,
    ),
    # "unidentified individuals": who they are the article does not say
    **dict.fromkeys(("individuals",), ActorKind.OTHER),
    **dict.fromkeys(
        ("troops", "soldiers", "police", "forces", "army", "military", "government",
         "authorities", "ministry", "officers", "security"),
        ActorKind.STATE,
    ),
}  # fmt: skip


def group_kind(token: Any) -> ActorKind | None:
    """The kind of an unnamed group a word names; a single civilian too ("one protester was
    killed"), not a single officer or soldier (an anonymous person, often a source)."""
    for form in (token.lower_, token.lemma_.casefold()):
        if form in GROUP_NOUNS:
            return GROUP_NOUNS[form]
    plural = GROUP_NOUNS.get(token.lemma_.casefold() + "s")
    return plural if plural == ActorKind.CIVILIANS else None


KIND_MARKERS: tuple[tuple[ActorKind, frozenset[str]], ...] = (
    (ActorKind.MEDIA, frozenset({"agency", "news", "tv", "television", "radio", "newspaper"})),
    (ActorKind.INTERNATIONAL_ORG, frozenset(
        {"nations", "un", "u.n", "programme", "program", "unicef", "unhcr", "who", "icrc",
         "crescent", "cross", "nato", "eu", "union", "organization", "organisation", "msf",
         "humanitarian", "bank", "fund", "commission", "court", "igad", "ecowas", "au"}
    )),
    (ActorKind.STATE, frozenset(
        {"ministry", "government", "army", "police", "coalition", "military", "navy",
         "presidency", "cabinet", "parliament", "authorities", "gendarmerie", "junta"}
    )),
    (ActorKind.ARMED_GROUP, frozenset(
        {"forces", "front", "brigade", "brigades", "militia", "rebels", "state", "movement",
         "group", "army", "battalion", "units", "jihad", "shabaab", "al-shabaab", "houthis",
         "council"}
    )),
    (ActorKind.POLITICAL_ORG, frozenset({"party", "committee", "congress", "league"})),
    (ActorKind.OTHER, frozenset(
        {"observatory", "company", "firm", "watch", "amnesty", "ngo", "monitor", "group"}
    )),
)  # fmt: skip


PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers"})
RELATIVE_PRONOUNS = frozenset({"that", "who", "which", "whom"})
FIRST_PERSON = frozenset({"we", "i", "us", "our", "my", "me"})
NAME_ENTITIES = frozenset({"", "ORG", "PERSON", "NORP"})  # not places, dates, numbers
# Institutions named with their owner ("Mali's transitional authorities").
INSTITUTION_NOUNS = frozenset(
    {"authority", "government", "ministry", "administration", "army", "junta", "ruler",
     "parliament", "presidency", "mission", "office", "police", "military", "council"}
)  # fmt: skip
# Adjectives that belong to a group's name ("federal troops"); others do not ("several
# soldiers", "suspected jihadists").
GROUP_ADJECTIVES = frozenset(
    {"federal", "paramilitary", "regional", "transitional", "military", "interim", "national",
     "local", "government", "rebel", "security", "armed", "tribal"}
)  # fmt: skip
QUANTITY_HEADS = frozenset(
    {"thousand", "hundred", "dozen", "score", "number", "group", "crowd", "total", "handful",
     "few", "some", "many", "most", "all", "none"}
)  # fmt: skip
WEAPONS = frozenset({"ied", "ieds", "vbied", "rpg", "manpads", "atgm"})  # capitalised, no actors
GROUP_PRONOUNS = frozenset({"it", "its", "they", "them", "their", "we", "our"})
# Descriptions that refer back to an actor of these kinds ("the extremists": the armed group).
DESCRIPTIONS: dict[str, frozenset[ActorKind]] = {
    **dict.fromkeys(
        ("extremist", "militant", "jihadist", "terrorist", "insurgent", "rebel", "militia",
         "group", "fighter", "force", "alliance"),
        frozenset({ActorKind.ARMED_GROUP}),
    ),
    **dict.fromkeys(("bloc", "union", "organisation", "organization", "agency", "body"),
                    frozenset({ActorKind.INTERNATIONAL_ORG, ActorKind.POLITICAL_ORG})),
    **dict.fromkeys(("government", "regime", "ministry", "authority", "army", "military",
                     "coalition", "administration", "junta"), frozenset({ActorKind.STATE})),
    **dict.fromkeys(("council", "party", "movement"), frozenset({ActorKind.POLITICAL_ORG})),
}  # fmt: skip


def kind_of(name: str, label: str, aliases: AliasTable | None) -> ActorKind | None:
    curated = aliases.kind_of(name) if aliases is not None else None
    if curated is not None:
        return curated
    if label == "PERSON":
        return ActorKind.PERSON
    words = set(name_key(name).split())
    for kind, markers in KIND_MARKERS:
        if words & markers:
            return kind
    last = name_key(name).split()[-1:] or [""]
    if last[0] in GROUP_NOUNS:
        return GROUP_NOUNS[last[0]]
    if label == "GPE":
        return ActorKind.STATE
    return None
