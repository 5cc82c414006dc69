"""The hybrid pipeline (prompt v3): kept libraries find the candidates, the model only decides
what they cannot, as one small constrained choice.

Stage 0, no model (api.llm.coding): spaCy's parse and entities over our sentences, actors
from entities, appositions and titles, event candidates from a PLOVER lexicon of predicates
with roles from the parse, dates, places (GeoNames), fatalities, status, quotes by pattern
with their speakers by parse, mention and pronoun; none from a passage addressed to a model
(api.llm.injection).
Then one question, skipped when the rules left nothing open: the type of each event whose
word has several readings ("seized": COERCE or ASSAULT), and whether an event no actor is
named for is one at all — its readings or NONE. The answer is an enum per candidate that the
grammar enforces.

Asking the 0.5B model more (actor kinds, speakers the rules leave open, missing sources and
targets) was measured on the dev split and made every one of those figures worse than the
rules' defaults, so v3 does not ask.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from api.llm.calls import CallLog
from api.llm.coding import Analysis, analyse, assemble
from api.llm.event_candidates import with_mode
from api.llm.event_context import CodedEvent
from api.llm.nlp import load_pipeline
from api.llm.pipelines import ArticleChunk, Pipeline
from api.llm.prompts import schemas_sha256
from schemas.decisions import NOT_AN_EVENT, EventChoices, event_choice_model
from schemas.extraction import EVENT_TYPE_DEFINITIONS, ArticleExtraction, EventType

MAX_EVENT_QUESTIONS = 16  # candidates asked about at once: the rest keep the rules' reading
SHAPES_CACHED = 256  # answer models kept, one per set of candidates' readings


class HybridPipeline(Pipeline):
    name = "hybrid"
    required_blocks = ("system", "events")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nlp = load_pipeline()  # once per extractor, never per request

    @classmethod
    def schema_sha256(cls) -> str:
        return schemas_sha256((EventChoices,))

    def extract(self, chunk: ArticleChunk, calls: CallLog) -> ArticleExtraction:
        analysis = analyse(
            chunk.text,
            self.resources.aliases,
            self.nlp,
            gazetteer=self.resources.gazetteer,
            dateline=chunk.dateline,
        )
        context = {"article_text": chunk.text, "article_date": chunk.article_date}
        events = self._decide_events(analysis, chunk, context, calls)
        fields = assemble(analysis, events, analysis.speakers)
        return ArticleExtraction.model_validate(fields, context=context)

    def _decide_events(
        self, analysis: Analysis, chunk: ArticleChunk, context: dict[str, Any], calls: CallLog
    ) -> list[CodedEvent]:
        """The rules' events, with the type the model chose where they could not decide."""
        open_events = [e for e in analysis.events if _undecided(e)][:MAX_EVENT_QUESTIONS]
        if not open_events:
            return analysis.events
        system = self.prompt.render_block(
            "system",
            title=chunk.title,
            article_date=chunk.article_date.isoformat() if chunk.article_date else None,
            sentences=analysis.sentences,
        )
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
        user = self.prompt.render_block("events", candidates=candidates)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        answer = self.caller.ask(messages, choice_model(options), context, calls)
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


def choice_model(options: dict[int, list[str]]) -> type[EventChoices]:
    """`event_choice_model(options)`, built once per shape (the candidates' readings): equal
    shapes get the same class, so its function schema is generated once."""
    return _choice_model(tuple((n, tuple(choices)) for n, choices in options.items()))


@lru_cache(maxsize=SHAPES_CACHED)
def _choice_model(options: tuple[tuple[int, tuple[str, ...]], ...]) -> type[EventChoices]:
    return event_choice_model({n: list(choices) for n, choices in options})


def _undecided(event: CodedEvent) -> bool:
    """The rules cannot tell: the word has several readings, or no actor is named for it."""
    return len(event.candidate.readings) > 1 or not (event.sources or event.targets)


def _types(event: CodedEvent) -> list[EventType]:
    return list(dict.fromkeys(r[0] for r in event.candidate.readings))
