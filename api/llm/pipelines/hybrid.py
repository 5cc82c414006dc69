"""The hybrid pipeline (prompt v3): kept libraries find the candidates, the model only decides
what they cannot, as small constrained choices.

Stage 0, no model (api.llm.coding): spaCy's parse and entities over our sentences, actors
from entities, appositions and titles, event candidates from a PLOVER lexicon of predicates
with roles from the parse, dates, places (GeoNames), fatalities, status, quotes by pattern
with their speakers by parse, mention and pronoun.
Then up to three questions, each skipped when the rules left nothing open:
1. events: the type of each event whose word has several readings ("seized": COERCE or
   ASSAULT), and whether an event no actor is named for is one at all — its readings or NONE;
2. kinds: the kind of each actor kept that no rule classifies;
3. speakers: the speaker of each quotation whose attribution names no actor.
Every question shares the system message (rules + numbered article), so llama.cpp reuses its
tokens; every answer is an enum the grammar enforces (a reading, an actor's name, a kind).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from api.llm.calls import CallLog
from api.llm.coding import Analysis, CodedEvent, analyse, anonymous, assemble
from api.llm.event_candidates import with_mode
from api.llm.nlp import load_pipeline
from api.llm.pipelines import ArticleChunk, Pipeline
from api.llm.pipelines.staged import speakers_of, speakers_question, stage_schema_sha256
from schemas.decisions import (
    DECISION_SCHEMAS,
    NOT_AN_EVENT,
    event_choice_model,
    kind_choice_model,
)
from schemas.extraction import EVENT_TYPE_DEFINITIONS, ActorKind, ArticleExtraction, EventType
from schemas.stages import SpeakersAnswer

_A = TypeVar("_A", bound=BaseModel)
MAX_EVENT_QUESTIONS = 16  # candidates asked about at once: the rest keep the rules' reading
MAX_KIND_QUESTIONS = 12


class HybridPipeline(Pipeline):
    name = "hybrid"
    required_blocks = ("system", "events", "kinds", "speakers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nlp = load_pipeline()  # once per extractor, never per request

    @classmethod
    def schema_sha256(cls) -> str:
        return stage_schema_sha256((*DECISION_SCHEMAS, SpeakersAnswer))

    def extract(self, chunk: ArticleChunk, calls: CallLog) -> ArticleExtraction:
        analysis = analyse(
            chunk.text,
            self.resources.aliases,
            self.nlp,
            gazetteer=self.resources.gazetteer,
            dateline=chunk.dateline,
        )
        system = self.prompt.render_block(
            "system",
            title=chunk.title,
            article_date=chunk.article_date.isoformat() if chunk.article_date else None,
            sentences=analysis.sentences,
        )
        context = {"article_text": chunk.text, "article_date": chunk.article_date}

        def ask(user: str, response_model: type[_A]) -> _A:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            return self.caller.ask(messages, response_model, context, calls)

        events = self._decide_events(analysis, ask)
        speakers = dict(analysis.speakers)
        unresolved = [
            q
            for q in analysis.quotes
            if q.number not in speakers and not (q.kind.value == "indirect" and anonymous(q))
        ]
        names = [a.name for a in analysis.actors if a.label != "GPE" or a.kind]
        if unresolved and names:
            user, model = speakers_question(self.prompt, unresolved, analysis.sentences, names)
            for number, speaker in speakers_of(ask(user, model)).items():
                speakers.setdefault(number, speaker)
        kinds = self._decide_kinds(analysis, events, speakers, ask)
        fields = assemble(analysis, events, speakers, kinds)
        return ArticleExtraction.model_validate(fields, context=context)

    def _decide_events(self, analysis: Analysis, ask: Any) -> list[CodedEvent]:
        """The rules' events, with the type the model chose where they could not decide."""
        open_events = [e for e in analysis.events if _undecided(e)][:MAX_EVENT_QUESTIONS]
        if not open_events:
            return analysis.events
        options = {n: [t.value for t in _types(e)] for n, e in enumerate(open_events, start=1)}
        candidates = [
            {
                "number": n,
                "sentence": e.sentence.number,
                "word": e.candidate.trigger.text,
                "types": [
                    {"name": t.value, "definition": EVENT_TYPE_DEFINITIONS[t]} for t in _types(e)
                ],
            }
            for n, e in enumerate(open_events, start=1)
        ]
        answer = ask(
            self.prompt.render_block("events", candidates=candidates), event_choice_model(options)
        )
        dropped: set[int] = set()
        for n, event in enumerate(open_events, start=1):
            chosen = getattr(answer, f"event_{n}", None)
            if chosen == NOT_AN_EVENT:
                dropped.add(id(event))
            elif chosen and chosen != event.event_type.value:
                reading = next(r for r in event.candidate.readings if r[0].value == chosen)
                sentence = event.candidate.sentence
                event.event_type, event.mode = with_mode(
                    (reading,), event.candidate.trigger, sentence
                )[0]
        return [e for e in analysis.events if id(e) not in dropped]

    def _decide_kinds(
        self,
        analysis: Analysis,
        events: list[CodedEvent],
        speakers: dict[int, str | None],
        ask: Any,
    ) -> dict[str, ActorKind]:
        """The kind the model gives each actor that will be kept and no rule classified."""
        kept = assemble(analysis, events, speakers, {})["actors"]
        open_names = [
            a["name"]
            for a in kept
            if next((c for c in analysis.actors if c.name == a["name"]), None) is not None
            and next(c for c in analysis.actors if c.name == a["name"]).kind is None
        ][:MAX_KIND_QUESTIONS]
        if not open_names:
            return {}
        actors = [{"name": n, "context": _first_sentence(analysis, n)} for n in open_names]
        answer = ask(
            self.prompt.render_block("kinds", actors=actors), kind_choice_model(open_names)
        )
        return {str(getattr(c.actor, "value", c.actor)): ActorKind(c.kind) for c in answer.kinds}


def _undecided(event: CodedEvent) -> bool:
    """The rules cannot tell: the word has several readings, or no actor is named for it."""
    return len(event.candidate.readings) > 1 or not (event.sources or event.targets)


def _types(event: CodedEvent) -> list[EventType]:
    return list(dict.fromkeys(r[0] for r in event.candidate.readings))


def _first_sentence(analysis: Analysis, name: str) -> int | None:
    for sentence in analysis.sentences:
        if name in sentence.text:
            return sentence.number
    return None
