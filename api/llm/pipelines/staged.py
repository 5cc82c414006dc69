"""The staged pipeline (prompt v2): small questions a small model answers well.

Stage 0 (no model): sentences with offsets, quoted spans and indirect-speech clauses with
their cue and speaker mention (api.llm.sentences, api.llm.quotes_by_pattern), none from a
passage addressed to a model (api.llm.injection).
Stage 1: the actors. Stage 2: the events, each naming its sentence by number (the evidence is
that sentence, so it is verbatim by construction). Stage 3: the speaker of each quotation whose
mention does not already name an actor ("he", "a military spokesman").

Every stage shares the system message (rules + numbered article) so llama.cpp reuses its
tokens, and asks through the extractor's ModelCaller (transport retries, recording, replay,
the call log). The answers are assembled into an ArticleExtraction validated with the article
context, like a v1 answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from api.llm.actors import speakers_by_mention, speakers_by_pronoun
from api.llm.calls import CallLog
from api.llm.event_cues import event_sentences
from api.llm.injection import inside, instruction_passages
from api.llm.pipelines import ArticleChunk, Pipeline
from api.llm.prompts import Prompt, schemas_sha256
from api.llm.quotes_by_pattern import (
    TITLES,
    QuoteCandidate,
    anonymous,
    find_quote_candidates,
    quote_fields,
)
from api.llm.sentences import Sentence, split_sentences
from schemas.extraction import (
    MODES_BY_TYPE,
    ActorKind,
    ArticleExtraction,
    EventStatus,
    EventType,
    QuoteKind,
)
from schemas.stages import (
    MAX_STAGE_EVENTS,
    NO_EVENT,
    NO_SPEAKER,
    ActorsAnswer,
    EventsAnswer,
    SpeakersAnswer,
    StageActor,
    event_answer_model,
    speaker_answer_model,
)
from schemas.text import PRONOUNS, fold_for_match, name_key, shorten

_A = TypeVar("_A", bound=BaseModel)
# The schemas the stages narrow per article (their sha256 is the pipeline's schema sha).
STAGE_SCHEMAS: tuple[type[BaseModel], ...] = (ActorsAnswer, EventsAnswer, SpeakersAnswer)
# The article's own outlet is never an actor ("told AFP").
NEWS_AGENCIES = frozenset({"afp", "reuters", "ap", "associated press", "agence france-presse"})
# Collective, anonymous sources: their indirect speech is not labelled as a quote.


# "Syrian Democratic Forces (SDF)": a name of capitalised words, then its acronym.
_ACRONYM_DEFINITION = re.compile(
    r"((?:[A-Z][\w'’\-]*[ \t]+(?:(?:of|for|and)[ \t]+(?:the[ \t]+)?)?){1,7})"
    r"\(([A-Z][A-Za-z]{1,7})\)"
)
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w'’.\-]*(?:[ \t]+(?:(?:of|for|the|de)[ \t]+)?(?:al-|el-)?[A-Z][\w'’.\-]*)*"
)
_NOT_NAMES = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
     "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "he", "she", "it", "they", "we", "i", "the", "but", "a", "an",
     "in", "on", "at", "and", "after", "before", "if", "our", "meanwhile", "separately"}
)  # fmt: skip
_KIND_MARKERS: dict[ActorKind, frozenset[str]] = {
    ActorKind.ARMED_GROUP: frozenset(
        {"forces", "front", "brigade", "brigades", "militia", "rebels", "state", "army"}
    ),
    ActorKind.POLITICAL_ORG: frozenset({"council", "party", "committee", "movement"}),
    ActorKind.INTERNATIONAL_ORG: frozenset(
        {"nations", "programme", "program", "union", "crescent", "cross", "organization"}
    ),
    ActorKind.STATE: frozenset({"ministry", "government", "police", "coalition"}),
}


def stage_schema_sha256(schemas: Sequence[type[BaseModel]] = STAGE_SCHEMAS) -> str:
    """sha256 over the function schemas of every stage (the per-article enums narrow these)."""
    return schemas_sha256(schemas)


class StagedPipeline(Pipeline):
    name = "staged"
    required_blocks = ("system", "actors", "events", "speakers")

    @classmethod
    def schema_sha256(cls) -> str:
        return stage_schema_sha256()

    def extract(self, chunk: ArticleChunk, calls: CallLog) -> ArticleExtraction:
        text = chunk.text
        sentences = split_sentences(text)
        # the whole article is shown as data; nothing addressed to a model is asked about
        passages = instruction_passages(text, sentences)
        coded = [s for s in sentences if not inside(s.start, s.end, passages)]
        candidates = find_quote_candidates(text, coded)
        system = self.prompt.render_block(
            "system",
            title=chunk.title,
            article_date=chunk.article_date.isoformat() if chunk.article_date else None,
            sentences=sentences,
        )
        context = {"article_text": text, "article_date": chunk.article_date}

        def ask(user: str, response_model: type[_A]) -> _A:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            return self.caller.ask(messages, response_model, context, calls)

        actors_answer = ask(
            self.prompt.render_block("actors", names=names_in_text(coded)), ActorsAnswer
        )
        actors = clean_actors(actors_answer.actors, text)
        actors += actors_by_pattern(text, candidates, actors)
        names = [a.name for a in actors]

        asked = event_sentences(coded)[:MAX_STAGE_EVENTS]
        events: list[dict[str, Any]] = []
        if asked:
            events_answer = ask(
                self.prompt.render_block("events", actor_names=names, sentences=asked),
                event_answer_model([s.number for s in asked], names),
            )
            events = clean_events(events_answer, sentences, names)

        speakers = speakers_by_mention(candidates, actors)
        speakers |= speakers_by_pronoun(candidates, actors, text)
        unresolved = [c for c in candidates if c.number not in speakers and _worth_asking(c)]
        if unresolved and names:
            user, model = speakers_question(self.prompt, unresolved, sentences, names)
            speakers |= speakers_of(ask(user, model))
        quotes = quote_fields(candidates, speakers)

        return ArticleExtraction.model_validate(
            {"actors": [a.model_dump() for a in actors], "events": events, "quotes": quotes},
            context=context,
        )


def speakers_question(
    prompt: Prompt, unresolved: list[QuoteCandidate], sentences: list[Sentence], names: list[str]
) -> tuple[str, type[SpeakersAnswer]]:
    """The speakers block for the quotations no rule attributed, and its answer schema (the
    speaker limited to the article's actors or "nobody")."""
    by_number = {s.number: s for s in sentences}
    quotes = [
        {
            "number": c.number,
            "text": shorten(c.text, 160),
            "sentence": c.sentence,
            "mention": c.mention,
            "previous": shorten(by_number[c.sentence.number - 1].text, 200)
            if c.sentence.number - 1 in by_number
            else None,
        }
        for c in unresolved
    ]
    user = prompt.render_block("speakers", actor_names=names, quotes=quotes, no_speaker=NO_SPEAKER)
    return user, speaker_answer_model([c.number for c in unresolved], names)


def speakers_of(answer: SpeakersAnswer) -> dict[int, str | None]:
    """The model's speakers by quotation number (None: nobody identifiable)."""
    found: dict[int, str | None] = {}
    for item in answer.speakers:
        speaker = _value(item.speaker)
        found.setdefault(int(_value(item.quote)), None if speaker == NO_SPEAKER else speaker)
    return found


def clean_actors(answer: Sequence[StageActor], text: str) -> list[StageActor]:
    """Actors whose name is in the article, once each; aliases in the article, no pronouns;
    an affiliation only when it names another actor."""
    folded_text = fold_for_match(text).casefold()

    def written(name: str) -> bool:
        return bool(name.strip()) and fold_for_match(name).casefold() in folded_text

    kept: list[StageActor] = []
    seen: set[str] = set()
    for actor in answer:
        name = re.sub(r"^the\s+", "", actor.name.strip(), flags=re.IGNORECASE)
        key = name_key(name)
        if not written(name) or key in seen or key in NEWS_AGENCIES:
            continue
        aliases: list[str] = []
        for alias in actor.aliases:
            alias = re.sub(r"^the\s+", "", alias.strip(), flags=re.IGNORECASE)
            alias_key = name_key(alias)
            if (
                written(alias)
                and alias_key not in seen
                and alias_key != key
                and alias.casefold() not in PRONOUNS
                and alias_key not in {name_key(a) for a in aliases}
            ):
                aliases.append(alias)
        seen.add(key)
        seen.update(name_key(a) for a in aliases)
        kept.append(actor.model_copy(update={"name": name, "aliases": aliases}))
    by_key = {name_key(n): a.name for a in kept for n in (a.name, *a.aliases)}
    return [
        a.model_copy(
            update={
                "affiliation": by_key.get(name_key(a.affiliation or ""))
                if a.affiliation and by_key.get(name_key(a.affiliation)) != a.name
                else None
            }
        )
        for a in kept
    ]


def names_in_text(sentences: list[Sentence], limit: int = 30) -> list[str]:
    """Capitalised names written in the article ("Syrian Democratic Forces", "Talal Sello"),
    in order, once each: a menu the actor stage copies from (measured: with example names in
    the prompt and no menu, the 0.5B model answered the examples for every article)."""
    lowercase_words = set(re.findall(r"\b[a-z]+\b", " ".join(s.text for s in sentences)))
    names: list[str] = []
    for sentence in sentences:
        if len(sentence.text.split()) < 6:
            continue  # headlines and datelines are all capitals
        for match in _CAPITALISED_RUN.finditer(sentence.text):
            words = match.group(0).split()
            while words and (words[0].casefold() in TITLES | _NOT_NAMES):
                words.pop(0)
            if words and words[-1].endswith(".") and re.search(r"[a-z]{2}\.$", words[-1]):
                words[-1] = words[-1][:-1]  # a sentence's full stop, not "U.N."
            name = re.sub(r"['’]s$", "", " ".join(words))
            if not name or name.casefold() in _NOT_NAMES or name in names:
                continue
            at_start = not sentence.text[: match.start()].strip(' "“‘(')
            if " " not in name and (at_start or name.casefold() in lowercase_words):
                continue  # "However", "Families": a capitalised common word
            if re.search(r"-(?:backed|led|based|held|installed|linked)$", name):
                continue
            names.append(name)
    return names[:limit]


def actors_by_pattern(
    text: str, candidates: list[QuoteCandidate], actors: list[StageActor]
) -> list[StageActor]:
    """Actors the model left out that the text names unmistakably: "Syrian Democratic Forces
    (SDF)" (an acronym defined in parentheses) and a quotation's speaker written as a name
    ("Talal Sello said"). Measured on seed 004: the 0.5B model listed 2 of 9 actors."""
    found: list[StageActor] = []

    def known(name: str) -> bool:
        tokens = set(name_key(name).split())
        return any(
            (words := set(name_key(n).split())) and (words <= tokens or tokens <= words)
            for a in [*actors, *found]
            for n in (a.name, *a.aliases)
        )

    for match in _ACRONYM_DEFINITION.finditer(text):
        name, acronym = match.group(1).strip(), match.group(2)
        name = " ".join(w for w in name.split() if not re.search(r"-(?:backed|led|based)$", w))
        name = re.split(r"\bThe\s+", name)[-1]  # "The Syrian Democratic Forces"
        if not known(name) and not known(acronym) and name_key(acronym) not in NEWS_AGENCIES:
            found.append(StageActor(name=name, aliases=[acronym], kind=_kind_of(name)))
    for candidate in candidates:
        mention = candidate.mention or ""
        words = mention.split()
        if not 2 <= len(words) <= 4 or not all(w[:1].isupper() or "-" in w for w in words):
            continue  # one word is too often not a name ("Separately", "Ignore")
        if name_key(mention) in NEWS_AGENCIES or known(mention):
            continue
        kind = _kind_of(mention)
        if kind == ActorKind.OTHER and len(words) <= 3:
            kind = ActorKind.PERSON  # "Talal Sello", "Abdulmalik al-Murtada"
        found.append(StageActor(name=mention, kind=kind))
    return found


def _kind_of(name: str) -> ActorKind:
    words = set(name_key(name).split())
    for kind, markers in _KIND_MARKERS.items():
        if words & markers:
            return kind
    return ActorKind.OTHER


def clean_events(
    answer: EventsAnswer, sentences: list[Sentence], names: list[str]
) -> list[dict[str, Any]]:
    """Events as ArticleExtraction wants them: evidence = the numbered sentence; a mode that
    does not belong to the type dropped; a date_text not in the sentence dropped; one event
    per (sentence, type), as many as the article has."""
    by_number = {s.number: s for s in sentences}
    known = set(names)
    events: list[dict[str, Any]] = []
    seen: set[tuple[int, EventType]] = set()
    for event in answer.events:
        number = int(_value(event.sentence))
        sentence = by_number.get(number)
        if sentence is None or _value(event.event_type) == NO_EVENT:
            continue
        event_type = EventType(_value(event.event_type))
        if (number, event_type) in seen:
            continue
        seen.add((number, event_type))
        mode = event.mode if event.mode in MODES_BY_TYPE.get(event_type, ()) else None
        date_text = event.date_text
        if date_text and date_text.casefold() not in sentence.text.casefold():
            date_text = None
        status = EventStatus.THREATENED if event_type == EventType.THREATEN else event.status
        sources = _unique(_value(n) for n in event.sources if _value(n) in known)
        targets = [
            n for n in _unique(_value(n) for n in event.targets if _value(n) in known)
            if n not in sources
        ]  # fmt: skip
        events.append(
            {
                "event_type": event_type,
                "mode": mode,
                "status": status,
                "sources": sources,
                "targets": targets,
                "summary": shorten(sentence.text, 200),
                "date_text": date_text,
                "evidence": sentence.text,
            }
        )
    return events


def _worth_asking(candidate: QuoteCandidate) -> bool:
    return not (candidate.kind == QuoteKind.INDIRECT and anonymous(candidate))


def _value(item: Any) -> Any:
    """An enum member's value (the per-article enums), or the item itself."""
    return getattr(item, "value", item)


def _unique(names: Any) -> list[str]:
    return list(dict.fromkeys(str(n) for n in names))
