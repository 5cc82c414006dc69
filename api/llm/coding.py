"""Coding by rule (the hybrid pipeline's stage 0 and its assembly): actors, events and quotes
from the linguistic layer, before the model is asked anything.

`analyse` finds the candidates (actor_candidates, event_candidates, quotes_by_pattern) and codes
what the rules decide — roles through the actors' mentions (roles), what other events say of
an event (event_context), its place (places), status from who reports the event, speakers by
mention, pronoun and parse. `assemble` builds the ArticleExtraction
from the analysis and the decisions the model made (api.llm.pipelines.hybrid), keeping only the
actors something refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from api.llm.actor_candidates import ActorCandidate, find_actor_candidates, speakers_named
from api.llm.actors import AliasTable, speakers_by_mention, speakers_by_pronoun
from api.llm.event_candidates import EventCandidate, find_event_candidates
from api.llm.event_context import (
    MAX_ROLE_ACTORS,
    CodedEvent,
    both_sides,
    dedupe,
    target_answered,
    target_referenced_events,
)
from api.llm.gazetteer import Gazetteer
from api.llm.injection import Passage, inside, instruction_passages, paragraphs_hidden_from_v3
from api.llm.locations import article_countries
from api.llm.nlp import ParsedSentence, parse_sentences
from api.llm.places import Places
from api.llm.quotes_by_pattern import QuoteCandidate, find_quote_candidates, quote_fields
from api.llm.roles import ActorIndex
from api.llm.sentences import Sentence, split_sentences
from schemas.extraction import ActorKind, EventMode, EventStatus, EventType
from schemas.text import name_key, shorten

# Who reports an event decides its status: one side's word is a claim (the guide).
PARTISAN_KINDS = frozenset(
    {ActorKind.ARMED_GROUP, ActorKind.STATE, ActorKind.POLITICAL_ORG, ActorKind.MEDIA}
)


@dataclass
class Analysis:
    text: str
    sentences: list[Sentence]  # what the model is shown (paragraphs_hidden_from_v3 left out)
    passages: list[Passage]  # addressed to a model: nothing in them is coded
    parsed: list[ParsedSentence]
    index: ActorIndex
    quotes: list[QuoteCandidate]
    speakers: dict[int, str | None]
    events: list[CodedEvent]

    @property
    def actors(self) -> list[ActorCandidate]:
        return self.index.candidates


def analyse(
    text: str,
    aliases: AliasTable | None,
    nlp: Any | None = None,
    *,
    gazetteer: Gazetteer | None = None,
    dateline: str | None = None,
) -> Analysis:
    sentences = split_sentences(text)
    passages = instruction_passages(text, sentences)
    hidden = paragraphs_hidden_from_v3(sentences)
    sentences = [s for s in sentences if s.paragraph not in hidden]
    coded = [s for s in sentences if not inside(s.start, s.end, passages)]
    parsed = parse_sentences(coded, nlp)
    countries = article_countries(text, dateline, gazetteer) if gazetteer else ()
    places = Places(gazetteer, countries, aliases)
    candidates = find_actor_candidates(parsed, text, aliases, places.is_place)
    quotes = find_quote_candidates(text, coded)
    candidates += speakers_named(quotes, candidates, aliases)
    index = ActorIndex(candidates, text)
    actors = [_named(c) for c in candidates]
    speakers = speakers_by_mention(quotes, actors)
    speakers |= speakers_by_pronoun(quotes, actors, text)
    by_parse, mentions = speakers_by_parse(quotes, parsed, index)
    speakers |= by_parse
    quotes = [replace(q, mention=mentions.get(q.number, q.mention)) for q in quotes]
    speakers |= continued_speakers(quotes, speakers)
    index.quote_speakers = [(q.start, q.end, s) for q in quotes if (s := speakers.get(q.number))]
    events = dedupe([code_event(c, index, places) for c in find_event_candidates(parsed)])
    target_referenced_events(events)
    target_answered(events)
    both_sides(events)
    events = [e for e in events if e.sources or e.targets or _unattributed_attack(e)]
    places.fill(events, parsed, index)
    return Analysis(
        text=text,
        sentences=sentences,
        passages=passages,
        parsed=parsed,
        index=index,
        quotes=quotes,
        speakers=speakers,
        events=events,
    )


@dataclass
class _NamedActor:
    name: str
    aliases: list[str]
    kind: ActorKind


def speakers_by_parse(
    quotes: list[QuoteCandidate], parsed: list[ParsedSentence], index: ActorIndex
) -> tuple[dict[int, str | None], dict[int, str]]:
    """The subject of a quotation's speech verb, as the parse gives it ("Jubaland's security
    minister, Hassan Abdi Farah, accused ...": the minister; "Islamic State's Amaq news agency
    said": the agency), where it names an actor; and that subject as written where the
    pattern's mention is not part of it ("Instead, Trump told CNN": "Trump", not "Instead")."""
    by_number = {p.number: p for p in parsed}
    found: dict[int, str | None] = {}
    mentions: dict[int, str] = {}
    for quote in quotes:
        sentence = by_number.get(quote.sentence.number)
        if sentence is None or quote.cue is None:
            continue
        cues = [
            t
            for t in sentence.doc
            if t.lower_ == quote.cue.casefold()
            and not quote.start <= sentence.start_of(t) < quote.end
        ]
        if not cues:
            continue
        cue = min(cues, key=lambda t: abs(sentence.start_of(t) - quote.start))
        subjects = [c for c in cue.children if c.dep_ in ("nsubj", "nsubjpass")]
        if not subjects and cue.dep_ in ("advcl", "conj", "xcomp"):  # "..., saying"
            subjects = [c for c in cue.head.children if c.dep_ == "nsubj"]
        if not subjects:
            continue
        subject = subjects[0]
        written = subject.doc[subject.left_edge.i : subject.i + 1].text
        if quote.mention is None or quote.mention not in written:
            mentions[quote.number] = written
        actor = index.actor_of(subject, sentence)
        if actor is not None and actor.label != "GPE":
            found[quote.number] = actor.name
    return found, mentions


def continued_speakers(
    quotes: list[QuoteCandidate], speakers: dict[int, str | None]
) -> dict[int, str | None]:
    """A quotation with no attribution of its own continues the previous quotation's speaker
    when it follows it in the next paragraph (the guide: "when the article makes it clear")."""
    found: dict[int, str | None] = {}
    previous: QuoteCandidate | None = None
    for quote in quotes:
        if quote.mention is None and quote.cue is None and previous is not None:
            speaker = speakers.get(previous.number) or found.get(previous.number)
            if speaker and quote.sentence.paragraph - previous.sentence.paragraph <= 1:
                found[quote.number] = speaker
        previous = quote
    return found


def _named(candidate: ActorCandidate) -> _NamedActor:
    return _NamedActor(candidate.name, candidate.aliases, candidate.kind or ActorKind.OTHER)


def code_event(
    candidate: EventCandidate, index: ActorIndex, places: Places | None = None
) -> CodedEvent:
    sentence = candidate.sentence
    event_type, mode = candidate.readings[0]
    sources = _actors(candidate.source_phrases, index, sentence, places)
    if not sources and event_type == EventType.THREATEN and candidate.governor is not None:
        # "the Council said the fighters were given 48 hours": the Council gave them
        speaker = _speaker_of(candidate.governor, index, sentence)
        if speaker is not None and speaker.kind != ActorKind.CIVILIANS:
            sources = [speaker.name]
    # "The SDF gave the extremists an ultimatum": a description in the target is not the source
    index.exclude = [c for c in index.candidates if c.name in sources]
    targets = [
        a for a in _actors(candidate.target_phrases, index, sentence, places) if a not in sources
    ]
    index.exclude = []
    if event_type in (EventType.ASSAULT, EventType.COERCE, EventType.AID, EventType.RETREAT):
        targets = [t for t in targets if _kind(index, t) is not None]  # places are no victims
    civilians = [s for s in sources if _kind(index, s) == ActorKind.CIVILIANS]
    if event_type == EventType.RETREAT:
        sources = [s for s in sources if s not in civilians]  # fleeing alone is no event
        targets = [t for t in targets if _kind(index, t) != ActorKind.CIVILIANS]  # the freed
    elif event_type == EventType.AID:  # civilians are evacuated, they do not evacuate
        sources = [s for s in sources if s not in civilians]
        targets += [c for c in civilians if c not in targets]
    elif event_type == EventType.MOBILIZE:
        targets = []  # "deployed hundreds of troops": the troops are the means, not a target
    return CodedEvent(
        candidate=candidate,
        event_type=event_type,
        mode=mode,
        status=status_of(candidate, index, sources),
        sources=sources[:MAX_ROLE_ACTORS],
        targets=targets[:MAX_ROLE_ACTORS],
        place=places.choose(candidate.places, index, sources + targets) if places else None,
    )


def _actors(
    phrases: list[Any], index: ActorIndex, sentence: ParsedSentence, places: Places | None
) -> list[str]:
    """The actors the phrases name; a town or province is no actor (a country is). A
    description coordinated with a name is another actor ("clashes between Islamic State
    militants and U.S.-backed fighters": not Islamic State twice)."""
    names: list[str] = []
    excluded = list(index.exclude)
    for phrase in phrases:
        for actor in index.actors_of(phrase, sentence):
            if places is not None and places.only_a_place(actor):
                continue
            if actor.name not in names:
                names.append(actor.name)
                index.exclude.append(actor)
    index.exclude = excluded
    return names


def _kind(index: ActorIndex, name: str) -> ActorKind | None:
    actor = next((c for c in index.candidates if c.name == name), None)
    if actor is None or actor.label == "GPE":
        return None
    return actor.kind or ActorKind.OTHER


def status_of(candidate: EventCandidate, index: ActorIndex, sources: list[str]) -> EventStatus:
    """threatened for threats; denied under a denial; planned for the future; claimed when
    only one side reports it (a partisan speaker's clause, "according to" one side)."""
    if candidate.event_type == EventType.THREATEN:
        return EventStatus.THREATENED
    governor = candidate.governor
    if governor is not None and governor.lemma_.casefold() == "deny":
        return EventStatus.DENIED
    if candidate.planned:
        return EventStatus.PLANNED
    if governor is None:
        return EventStatus.ASSERTED
    speaker = _speaker_of(governor, index, candidate.sentence)
    if speaker is None:
        return EventStatus.ASSERTED
    if speaker.name in sources and candidate.event_type not in (EventType.ASSAULT,):
        return EventStatus.ASSERTED  # an actor's own statement is its act
    if speaker.kind in PARTISAN_KINDS or (
        speaker.kind == ActorKind.PERSON and speaker.affiliation is not None
    ):
        return EventStatus.CLAIMED
    return EventStatus.ASSERTED


def _speaker_of(
    governor: Any, index: ActorIndex, sentence: ParsedSentence
) -> ActorCandidate | None:
    if governor.lower_ == "according":
        objects = [t for t in governor.nbor(1).children if t.dep_ == "pobj"]
        return index.actor_of(objects[0], sentence) if objects else None
    subjects = [c for c in governor.children if c.dep_ == "nsubj"]
    return index.actor_of(subjects[0], sentence) if subjects else None


def _unattributed_attack(event: CodedEvent) -> bool:
    """An attack no actor is named for that is still an event (ACLED's unidentified armed
    group): a strike from the air, shelling, a bomb, or one that killed."""
    remote = {EventMode.AERIAL, EventMode.SHELLING, EventMode.EXPLOSIVE, EventMode.SUICIDE}
    return event.event_type == EventType.ASSAULT and (
        event.mode in remote or event.candidate.fatalities is not None
    )


def assemble(
    analysis: Analysis,
    events: list[CodedEvent],
    speakers: dict[int, str | None],
) -> dict[str, Any]:
    """The ArticleExtraction fields: the events and quotes decided, and the actors they name
    (with those actors' affiliations)."""
    event_dicts = [_event_dict(e) for e in events]
    quotes = quote_fields(analysis.quotes, speakers)
    used = {n for e in event_dicts for n in (*e["sources"], *e["targets"])}
    used |= {q["speaker"] for q in quotes if q["speaker"]}
    by_name = {c.name: c for c in analysis.actors}
    used |= {by_name[n].affiliation for n in list(used) if n in by_name and by_name[n].affiliation}
    actors = []
    for candidate in analysis.actors:
        if candidate.name not in used:
            continue
        kind = candidate.kind or ActorKind.OTHER  # the model guessed kinds worse than this
        aliases = [a for a in candidate.aliases if name_key(a) != name_key(candidate.name)]
        affiliation = candidate.affiliation if candidate.affiliation in used else None
        actors.append(
            {
                "name": candidate.name,
                "aliases": aliases[:6],
                "kind": kind,
                "affiliation": affiliation,
            }
        )
    for name in used - {a["name"] for a in actors}:  # an affiliation the table named
        actors.append({"name": name, "aliases": [], "kind": ActorKind.OTHER})
    return {"actors": actors, "events": event_dicts, "quotes": quotes}


def _event_dict(event: CodedEvent) -> dict[str, Any]:
    candidate = event.candidate
    sentence = event.sentence
    return {
        "event_type": event.event_type,
        "mode": event.mode,
        "status": event.status,
        "sources": event.sources,
        "targets": event.targets,
        "summary": shorten(sentence.text, 200),
        "date_text": candidate.date_text,
        "location": {"place": event.place} if event.place else None,
        "fatalities": candidate.fatalities if event.event_type == EventType.ASSAULT else None,
        "evidence": sentence.text,
    }
