"""Event candidates from predicates (the hybrid pipeline's stage 0): a verb or event noun of the
PLOVER lexicon in a sentence, with its type and mode readings, its roles from the parse, its
time expression, place, fatalities and status.

What is not an event (the labelling guide): a trigger under "if" or a modal of possibility
("could", "might"), a negated trigger (except refusals: "did not respond to the offer" is a
REJECT), what a refusal, demand or threat is about ("refused to surrender" is one REJECT, not a
RETREAT too), a noun no verb or preposition carries ("the deal's implementation"), a participle
that only describes ("the besieged town", "U.S.-backed fighters").

Roles: the trigger's subject → sources (a passive subject → targets, "by X" → sources), its
object and "on" / "against" objects → targets; a noun's compound ("coalition airstrikes"),
possessor ("their offensive") and "by" / "between" objects; a trigger with no subject of its
own takes its governing verb's ("the SDF began their offensive"). An agreement's parties are
all sources; talks with an initiator named ("Lindqvist will meet Huthi leaders") keep the
other side as the target (the guide). Phrases become actors through their mentions
(api.llm.roles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from api.llm.event_facts import PlaceMention, fatalities_in, places_in
from api.llm.nlp import TIME_LABELS, ParsedSentence, set_off
from api.llm.plover_lexicon import (
    AID_MODE_CUES,
    CARRIER_PREPOSITIONS,
    CARRIER_VERBS,
    MODE_CUES,
    NOUNS,
    VERBS,
    Reading,
)
from schemas.extraction import MODES_BY_TYPE, EventMode, EventType

Token = Any  # spacy.tokens.Token (typed loosely: spaCy ships no stubs for its Cython types)

SPEECH_LEMMAS = frozenset(
    {"say", "tell", "claim", "report", "announce", "state", "add", "allege", "insist", "tweet",
     "write", "post", "confirm", "declare", "explain", "note", "stress"}
)  # fmt: skip
# What a refusal, demand, threat or plan is about is part of it, not an event of its own.
ABOUT_THEM = frozenset({EventType.REJECT, EventType.REQUEST, EventType.THREATEN})
PLANNING_LEMMAS = frozenset(
    {"plan", "prepare", "vow", "pledge", "intend", "aim", "expect", "schedule", "promise",
     "seek", "want", "hope", "set", "agree", "decide", "continue"}
)  # fmt: skip
FUTURE_AUX = frozenset({"will", "'ll", "shall"})
# What an attack did: its subject is the event ("the airstrike killed 12").
CONSEQUENCE_VERBS = frozenset({"kill", "wound", "injure", "destroy", "damage", "hit", "leave"})
# Verbs of wishing and expecting: what they govern has not happened.
WISHES = frozenset(
    {"wish", "want", "hope", "expect", "need", "try", "attempt", "seek", "ready", "able",
     "prepare", "plan", "intend", "aim", "urge", "ask"}
)  # fmt: skip
DOUBT_AUX = frozenset({"could", "might", "may", "would", "should", "can"})
REFUSAL_WHEN_NEGATED = frozenset({"respond", "comply", "accept", "agree", "answer", "heed"})
# Words before an attack noun that say how, not who ("air strikes", "car bomb").
INSTRUMENTS = frozenset(
    {"air", "drone", "rocket", "artillery", "mortar", "missile", "car", "suicide", "truck",
     "ground", "bomb", "roadside", "gun", "knife", "grenade", "shell", "tank", "sea", "naval",
     "cross", "border", "night", "dawn", "barrel", "cluster", "chemical", "gas", "sniper"}
)  # fmt: skip
AID_WORDS = frozenset(
    {"aid", "food", "medicine", "humanitarian", "relief", "supply", "assistance", "fuel"}
)
GRACE_PERIODS = frozenset({"hour", "day", "week", "deadline"})
_MUTUAL = frozenset({EventType.AGREE, EventType.CONSULT, EventType.COOPERATE})


@dataclass
class EventCandidate:
    """One reported action: where it is, how the lexicon reads it, and the parse's phrases for
    its roles (token spans, turned into actor names by api.llm.roles)."""

    sentence: ParsedSentence
    trigger: Token
    readings: tuple[Reading, ...]
    source_phrases: list[Token] = field(default_factory=list)  # phrase heads
    target_phrases: list[Token] = field(default_factory=list)
    negated: bool = False
    planned: bool = False
    governor: Token | None = None  # the speech or denial verb the trigger is reported under
    date_text: str | None = None
    places: list[PlaceMention] = field(default_factory=list)  # the nearest first
    fatalities: int | None = None

    @property
    def event_type(self) -> EventType:
        return self.readings[0][0]

    @property
    def mode(self) -> EventMode | None:
        return self.readings[0][1]


def find_event_candidates(parsed: Sequence[ParsedSentence]) -> list[EventCandidate]:
    """Every candidate, in text order; several per sentence when it reports several actions."""
    found: list[EventCandidate] = []
    for sentence in parsed:
        text = sentence.sentence.text
        if len(text.split()) < 5 or text.rstrip("”’\"' )")[-1:] not in ".!?":
            continue  # headlines and datelines are not evidence (the guide)
        lemmas: frozenset[str] | None = None  # once per sentence, when it has a candidate
        for token in sentence.doc:
            readings = _readings(token)
            refusal = token.lemma_.casefold() in REFUSAL_WHEN_NEGATED  # "did not respond"
            if not readings and refusal and token.pos_ == "VERB" and _negated(token):
                readings = ((EventType.REJECT, None),)
            if not readings or _not_an_event(token, readings):
                continue
            candidate = EventCandidate(sentence=sentence, trigger=token, readings=readings)
            if _negated(token):
                if token.lemma_.casefold() in REFUSAL_WHEN_NEGATED:
                    candidate.readings = ((EventType.REJECT, None),)
                else:
                    continue
            lemmas = sentence_lemmas(sentence) if lemmas is None else lemmas
            candidate.readings = with_mode(candidate.readings, token, sentence, lemmas)
            _fill_roles(candidate)
            candidate.planned = _planned(token)
            candidate.governor = _governing_speech(token)
            candidate.date_text = _time_expression(token, sentence)
            candidate.places = places_in(sentence, token)
            candidate.fatalities = fatalities_in(sentence)
            found.append(candidate)
    return found


# ---- triggers -------------------------------------------------------------------------------


# Verbs that report an event with a particle or preposition ("broke into", "handed over").
PHRASAL_VERBS: dict[tuple[str, str], tuple[Reading, ...]] = {
    ("break", "into"): ((EventType.ASSAULT, EventMode.FIREARMS),),
    ("open", "fire"): ((EventType.ASSAULT, EventMode.FIREARMS),),
    ("hand", "over"): ((EventType.RETREAT, EventMode.RELEASE),),
    ("put", "hold"): ((EventType.RETREAT, EventMode.CEASEFIRE),),
    ("set", "free"): ((EventType.RETREAT, EventMode.RELEASE),),
    ("call", "for"): ((EventType.REQUEST, None),),
    ("call", "on"): ((EventType.REQUEST, None),),
    ("press", "for"): ((EventType.REQUEST, None),),
    ("push", "into"): ((EventType.ASSAULT, EventMode.FIREARMS),),
    ("push", "towards"): ((EventType.ASSAULT, EventMode.FIREARMS),),
    ("take", "control"): ((EventType.ASSAULT, EventMode.FIREARMS),),
}


def _readings(token: Token) -> tuple[Reading, ...]:
    lemma = token.lemma_.casefold()
    if token.pos_ == "VERB":
        for child in token.children:
            words = {child.lower_, *(c.lower_ for c in child.children if c.dep_ == "pobj")}
            for word in words:
                if (lemma, word) in PHRASAL_VERBS:
                    return PHRASAL_VERBS[(lemma, word)]
        if lemma == "give" and _gives_time(token):
            return ((EventType.THREATEN, EventMode.ULTIMATUM),)  # "gave the rebels 72 hours"
        return VERBS.get(lemma, ())
    if token.pos_ in ("NOUN", "PROPN"):
        if lemma == "strike" and any(c.lemma_.casefold() in {"air", "drone"} for c in token.lefts):
            return NOUNS["airstrike"]
        return NOUNS.get(lemma, ())
    return ()


def _gives_time(give: Token) -> bool:
    """ "gave the rebels 72 hours to withdraw": time given to do something, not "the generator
    gives us four hours"."""
    periods = [c for c in give.children if c.lemma_.casefold() in GRACE_PERIODS]
    return any(
        c.pos_ == "VERB" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)
        for holder in (give, *periods)
        for c in holder.children
    ) and bool(periods)


def _not_an_event(token: Token, readings: tuple[Reading, ...]) -> bool:
    if token.pos_ == "VERB":
        if token.dep_ in ("amod", "compound", "npadvmod"):
            return True  # "the besieged town", "U.S.-backed fighters"
        if token.dep_ == "acl" and token.tag_ == "VBN":
            return True  # "the fighters left", "the companies listed"
        if token.dep_ in ("xcomp", "advcl") and token.head.lemma_.casefold() in WISHES:
            return True  # "fighters who wish to leave", "expected to leave"
        purpose = any(c.dep_ == "aux" and c.lower_ == "to" for c in token.children)
        if token.dep_ in ("advcl", "xcomp") and purpose and _readings(token.head):
            return True  # "summoned the ambassador to protest": the summons is the act
        carried = [c for c in token.children if c.dep_ == "dobj" and _readings(c)]
        if token.lemma_.casefold() in CARRIER_VERBS and carried:
            return True  # "imposed sanctions": the noun reports it
        if token.lemma_.casefold() in CONSEQUENCE_VERBS and any(
            c.dep_ == "nsubj" and _readings(c) for c in token.children
        ):
            return True  # "clashes between X and Y killed 11": the clashes are the event
        if token.lemma_.casefold() == "warn" and any(
            c.dep_ == "prep" and c.lower_ in ("of", "about") for c in token.children
        ):
            return True  # "locals warned the police of their fears": telling, no threat
    elif not _carried(token) or _anaphoric(token):
        return True
    if token.lemma_.casefold() == "convoy" and not _names_aid(token):
        return True  # "a convoy of Russian soldiers" is no aid
    if _conditional(token) and readings[0][0] != EventType.THREATEN:
        return True
    about = _about_of(token)
    return about is not None and about is not token


def _names_aid(convoy: Token) -> bool:
    words = {t.lemma_.casefold() for t in convoy.subtree} | {
        t.lemma_.casefold() for t in convoy.head.subtree if t.i < convoy.i
    }
    return bool(words & AID_WORDS)


def _carried(noun: Token) -> bool:
    """A noun trigger reports an event when a carrier verb or preposition holds it, or when
    it is a sentence's subject ("Clashes broke out")."""
    head = noun.head
    if noun.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "conj", "appos"):
        if noun.dep_ == "conj":
            return _carried(head) if head.pos_ in ("NOUN", "PROPN") else False
        return head.lemma_.casefold() in CARRIER_VERBS or (
            noun.dep_ == "nsubj" and head.lemma_.casefold() in CONSEQUENCE_VERBS
        )
    if noun.dep_ == "pobj" and head.lemma_.casefold() in CARRIER_PREPOSITIONS:
        return head.head.pos_ in ("VERB", "AUX")
    if noun.dep_ == "pobj" and head.lemma_.casefold() == "of":
        owner = head.head  # "the final phase of the battle", "a day of clashes"
        return owner.dep_ in ("dobj", "nsubj", "attr") and owner.head.lemma_.casefold() in (
            CARRIER_VERBS
        )
    return False


def _anaphoric(noun: Token) -> bool:
    """ "the deal", "the offensive" held only by a preposition ("under the agreement"): a
    reference back to an event the article reported before, not a new one."""
    definite = any(c.lower_ in ("the", "this", "that", "its", "their") for c in noun.children)
    return definite and noun.dep_ == "pobj"


def _conditional(token: Token) -> bool:
    for node in (token, *token.ancestors):
        if any(c.dep_ == "mark" and c.lemma_.casefold() in {"if", "unless"} for c in node.children):
            return True
        if any(c.dep_ == "aux" and c.lemma_.casefold() in DOUBT_AUX for c in node.children):
            return node is token or node.dep_ in ("xcomp", "conj")
        if node.dep_ in ("ccomp", "ROOT"):
            break
    return False


def _negated(token: Token) -> bool:
    return any(c.dep_ == "neg" for c in token.children) or (
        token.dep_ == "xcomp" and any(c.dep_ == "neg" for c in token.head.children)
    )


def _about_of(token: Token) -> Token | None:
    """The refusal, demand or threat this trigger is the object of ("refused to surrender":
    the refusal), if any."""
    node = token
    for _ in range(3):
        if node.dep_ not in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep", "acl", "advcl"):
            return None
        node = node.head
        readings = _readings(node)
        if readings and readings[0][0] in ABOUT_THEM and node.lemma_.casefold() != "deny":
            return node
    return None


def sentence_lemmas(sentence: ParsedSentence) -> frozenset[str]:
    return frozenset(t.lemma_.casefold() for t in sentence.doc)


def with_mode(
    readings: tuple[Reading, ...],
    trigger: Token,
    sentence: ParsedSentence,
    lemmas: frozenset[str] | None = None,
) -> tuple[Reading, ...]:
    """The first reading with its mode decided by the words around the trigger (`lemmas`:
    the sentence's, casefolded, when the caller has them already)."""
    event_type, mode = readings[0]
    lemmas = sentence_lemmas(sentence) if lemmas is None else lemmas
    near = {t.lemma_.casefold() for t in trigger.subtree} | {trigger.head.lemma_.casefold()}
    cues = {EventType.ASSAULT: MODE_CUES, EventType.AID: AID_MODE_CUES}.get(event_type)
    if cues is not None and (mode is None or event_type == EventType.AID):
        chosen = next((m for m, words in cues if near & words), None)
        chosen = chosen or next((m for m, words in cues if lemmas & words), None)
        if chosen is None and event_type == EventType.ASSAULT:
            chosen = (
                EventMode.PHYSICAL
                if lemmas & {"civilian", "villager", "resident"}
                else (EventMode.FIREARMS)
            )
        mode = chosen or mode
    if event_type == EventType.AGREE:
        if lemmas & {"evacuation", "evacuate"}:
            mode = EventMode.EVACUATION
        elif lemmas & {"ceasefire", "truce", "cease-fire"}:
            mode = EventMode.CEASEFIRE
    if mode is not None and mode not in MODES_BY_TYPE.get(event_type, ()):
        mode = None
    return ((event_type, mode), *readings[1:])


# ---- roles ----------------------------------------------------------------------------------


def _fill_roles(candidate: EventCandidate) -> None:
    trigger = candidate.trigger
    sources, targets = candidate.source_phrases, candidate.target_phrases
    if trigger.pos_ == "VERB":
        for child in trigger.children:
            if child.dep_ in ("nsubj", "csubj"):
                sources.extend(_conjuncts(child))
            elif child.dep_ == "nsubjpass":
                targets.extend(_conjuncts(child))
            elif child.dep_ == "agent":
                sources.extend(p for c in child.children for p in _conjuncts(c))
            elif child.dep_ in ("dobj", "dative"):
                targets.extend(_conjuncts(child))
            elif child.dep_ == "prep" and child.lemma_.casefold() in {"on", "against", "with"}:
                targets.extend(p for c in child.children if c.dep_ == "pobj" for p in _conjuncts(c))
        relative = any(s.lower_ in ("that", "who", "which") for s in sources)
        if trigger.dep_ == "relcl" and sources and not targets and not relative:
            targets.append(trigger.head)  # "six companies it accused of ...": the companies
    else:
        possessors = []
        for child in trigger.children:
            if child.dep_ in ("compound", "nmod") and child.lemma_.casefold() not in INSTRUMENTS:
                sources.append(child)  # "an IS attack", not "air strikes"
            elif child.dep_ == "poss":
                possessors.append(child)  # "their offensive": after the carrier's subject
            elif child.dep_ == "prep":
                objects = [p for c in child.children if c.dep_ == "pobj" for p in _conjuncts(c)]
                preposition = child.lemma_.casefold()
                if preposition in ("by", "between", "from"):
                    sources.extend(objects)
                elif preposition in ("on", "against", "with", "to", "for"):
                    targets.extend(objects)
        carrier = trigger.head
        if trigger.dep_ in ("dobj", "attr") and carrier.pos_ in ("VERB", "AUX"):
            subjects = [p for c in carrier.children if c.dep_ == "nsubj" for p in _conjuncts(c)]
            if not subjects and carrier.dep_ == "acl":  # "the coalition conducted airstrikes"
                subjects = [carrier.head]
            if not sources:
                sources.extend(subjects)
            targets.extend(
                p for c in carrier.children if c.dep_ in ("dative", "iobj") for p in _conjuncts(c)
            )
        if not sources:
            sources.extend(possessors)
    if not sources and trigger.dep_ == "acl" and trigger.tag_ == "VBD":
        sources.append(trigger.head)  # "Hans Lindqvist, called on ...": a misparsed clause
    if not sources:
        sources.extend(_inherited_subject(trigger))
    if not targets and candidate.event_type == EventType.ASSAULT:
        targets.extend(_victims(trigger))
    # an agreement's parties are all sources; talks have an initiator when the text names one
    # ("Lindqvist will meet Huthi leaders"), else every party is a source (the guide)
    if candidate.event_type in _MUTUAL and (candidate.event_type == EventType.AGREE or not sources):
        sources.extend(targets)
        targets.clear()


def _victims(trigger: Token) -> list[Token]:
    """Who the attack's consequence befell: "one protester was killed when security forces
    opened fire", "fighters were killed in IS attacks"."""
    consequence = trigger.head
    if trigger.dep_ == "pobj":  # "killed in IS attacks"
        consequence = consequence.head
    elif trigger.dep_ != "advcl":
        return []
    if consequence.lemma_.casefold() not in CONSEQUENCE_VERBS:
        return []
    return [p for c in consequence.children if c.dep_ == "nsubjpass" for p in _conjuncts(c)]


def _conjuncts(token: Token) -> list[Token]:
    """A phrase head and the heads of the phrases coordinated with it ("X and Y"), also where
    the parse calls the second an apposition."""
    misparsed = [c for c in token.children if c.dep_ == "appos" and not set_off(c)]
    return [token, *(c for c in token.conjuncts if c.i > token.i), *misparsed]


def _inherited_subject(trigger: Token) -> list[Token]:
    """The subject of the verb this trigger depends on: "decided to stay and fight", "the SDF
    relaunched their offensive after ... refused to surrender" stays with its own clause."""
    node = trigger
    for _ in range(3):
        if node.dep_ not in ("xcomp", "conj", "dobj", "pobj", "prep", "acl", "advcl"):
            return []
        node = node.head
        subjects = [c for c in node.children if c.dep_ in ("nsubj", "nsubjpass")]
        if subjects:
            return _conjuncts(subjects[0]) if subjects[0].dep_ == "nsubj" else []
        if node.dep_ == "advcl":
            return []
    return []


# ---- reporting and time (places and death tolls: api.llm.event_facts) -----------------------


def _governing_speech(trigger: Token) -> Token | None:
    """The speech verb ("said", "told") whose clause reports this trigger."""
    for node in trigger.ancestors:
        if node.lemma_.casefold() in SPEECH_LEMMAS | {"deny"}:
            return node
    sentence = trigger.sent
    for token in sentence:  # "According to X, ..."
        if token.lower_ == "according" and token.nbor(1).lower_ == "to":
            return token
    return None


def _planned(trigger: Token) -> bool:
    for node in (trigger, *list(trigger.ancestors)[:2]):
        aux = {c.lower_ for c in node.children if c.dep_ == "aux"}
        if aux & FUTURE_AUX:
            return True
        if node is not trigger and node.lemma_.casefold() in PLANNING_LEMMAS:
            return node.lemma_.casefold() not in {"continue", "agree", "decide"}
    if trigger.pos_ != "VERB":
        owner = trigger.head.head if trigger.head.lemma_ == "of" else trigger.head
        words = {c.lower_ for c in owner.subtree}
        return bool(words & {"final", "next", "plan", "planned", "upcoming"})
    return False


def _time_expression(trigger: Token, sentence: ParsedSentence) -> str | None:
    """The sentence's time expression nearest the trigger, with its preposition ("on
    Sunday"); an expression in the trigger's own clause first."""
    dates = list(sentence.entities(TIME_LABELS))
    if not dates:
        return None
    own = {t.i for t in trigger.subtree}
    if trigger.head is not trigger:
        own |= {t.i for t in trigger.head.children if t.dep_ in ("prep", "npadvmod")}
        own |= {t.i for c in trigger.head.children if c.dep_ == "prep" for t in c.subtree}
    scoped = [d for d in dates if d.root.i in own] or dates
    best = min(scoped, key=lambda d: abs(d.root.i - trigger.i))
    head = best.root.head
    if head.dep_ == "prep" and head.i == best.start - 1:
        return f"{head.text} {best.text}"
    return str(best.text)
