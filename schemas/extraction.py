"""What the model must return. Field descriptions are prompt text: they carry the codebook.

An actor's, an event's and a quote's own fields are declared once, in `ActorFields`,
`EventFields` and `QuoteFields`: the model's answer (`Actor`, `Event`, `Quote`), the grounded
items (schemas.grounded), the stored rows (api.models) and the API's items (schemas.api) all
inherit them, and move between one another with `model_validate`, never by hand. (They are
declared with SQLModel's `Field` so that the tables can inherit them: `sa_type` is how a field
is stored. They stay plain pydantic models: SQLModel's own `__init__` would keep instructor's
validation context from reaching nested answers.)

Validators check the answer against the article given in instructor's `context`
(`{"article_text": str, "article_date": date | None}`); a failure is re-asked with its message.
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from annotated_types import MaxLen
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from sqlalchemy import JSON, String, Text
from sqlmodel import Field

from schemas.text import name_key, occurs_in

# Bounds keep a grammar-constrained model from generating forever. They bound what the model is
# asked for in one answer (ArticleAnswer, the stage schemas), never an article's results.
MAX_ACTORS = 20
MAX_EVENTS = 12
MAX_QUOTES = 15
MAX_EVIDENCE_CHARS = 500
MAX_QUOTE_CHARS = 600
MAX_ALIASES = 6
Name = Annotated[str, Field(min_length=1, max_length=120)]
_M = TypeVar("_M", bound=BaseModel)


class ActorKind(StrEnum):
    STATE = "state"
    ARMED_GROUP = "armed_group"
    POLITICAL_ORG = "political_org"
    INTERNATIONAL_ORG = "international_org"
    PERSON = "person"
    CIVILIANS = "civilians"
    MEDIA = "media"
    OTHER = "other"


class EventType(StrEnum):
    """PLOVER's 16 event types (definitions in EVENT_TYPE_DEFINITIONS)."""

    AGREE = "AGREE"
    CONSULT = "CONSULT"
    SUPPORT = "SUPPORT"
    CONCEDE = "CONCEDE"
    COOPERATE = "COOPERATE"
    AID = "AID"
    RETREAT = "RETREAT"
    REQUEST = "REQUEST"
    ACCUSE = "ACCUSE"
    REJECT = "REJECT"
    THREATEN = "THREATEN"
    PROTEST = "PROTEST"
    SANCTION = "SANCTION"
    MOBILIZE = "MOBILIZE"
    COERCE = "COERCE"
    ASSAULT = "ASSAULT"


EVENT_TYPE_DEFINITIONS: dict[EventType, str] = {
    EventType.AGREE: "agree to, sign or announce an agreement, deal, ceasefire or truce, or "
    "promise to cooperate (an evacuation deal is AGREE)",
    EventType.CONSULT: "meet, visit, hold talks, negotiate, phone or consult another actor",
    EventType.SUPPORT: "praise, endorse, defend or express solidarity with another actor",
    EventType.CONCEDE: "yield: apologise, admit, ease restrictions, accept demands, "
    "change a policy under pressure",
    EventType.COOPERATE: "material cooperation: joint operations, sharing intelligence, "
    "military or economic cooperation between actors",
    EventType.AID: "provide aid: humanitarian convoys, military or economic aid, evacuating people",
    EventType.RETREAT: "withdraw forces, surrender, release prisoners or hostages, leave an "
    "area, observe a ceasefire, disarm",
    EventType.REQUEST: "ask, demand, appeal or call for something",
    EventType.ACCUSE: "accuse, blame, criticise, denounce or condemn another actor",
    EventType.REJECT: "refuse, reject or ignore a demand, offer or ultimatum; deny an "
    "accusation; refuse to surrender",
    EventType.THREATEN: "threaten force or other coercion, including ultimatums and "
    "deadlines to surrender or leave",
    EventType.PROTEST: "civilian demonstrations, rallies, strikes, riots",
    EventType.SANCTION: "cut ties or cooperation: embargoes, sanctions, expelling "
    "diplomats, breaking relations",
    EventType.MOBILIZE: "deploy or mass troops, police or militias, raise alert, show "
    "of force without fighting",
    EventType.COERCE: "coercion without bodily harm: arrests, seizing property, "
    "curfews, restrictions, censorship, destroying property",
    EventType.ASSAULT: "use of violence: fighting, clashes, offensives, airstrikes, "
    "shelling, bombings, killings, abductions",
}


class EventMode(StrEnum):
    """How an event happened; each mode belongs to one or more types (MODES_BY_TYPE)."""

    FIREARMS = "firearms"
    AERIAL = "aerial"
    SHELLING = "shelling"
    EXPLOSIVE = "explosive"
    SUICIDE = "suicide"
    CHEMICAL = "chemical"
    ABDUCTION = "abduction"
    SEXUAL = "sexual"
    PHYSICAL = "physical"
    ARREST = "arrest"
    SEIZE = "seize"
    DESTROY = "destroy"
    RESTRICT = "restrict"
    ULTIMATUM = "ultimatum"
    MILITARY = "military"
    WITHDRAW = "withdraw"
    SURRENDER = "surrender"
    RELEASE = "release"
    CEASEFIRE = "ceasefire"
    HUMANITARIAN = "humanitarian"
    EVACUATION = "evacuation"
    ECONOMIC = "economic"
    DEMONSTRATE = "demonstrate"
    RIOT = "riot"
    STRIKE = "strike"
    DEAL = "deal"
    TROOPS = "troops"
    EMBARGO = "embargo"


M = EventMode
MODES_BY_TYPE: dict[EventType, frozenset[EventMode]] = {
    EventType.ASSAULT: frozenset(
        {M.FIREARMS, M.AERIAL, M.SHELLING, M.EXPLOSIVE, M.SUICIDE, M.CHEMICAL}
        | {M.ABDUCTION, M.SEXUAL, M.PHYSICAL}
    ),
    EventType.COERCE: frozenset({M.ARREST, M.SEIZE, M.DESTROY, M.RESTRICT}),
    EventType.THREATEN: frozenset({M.ULTIMATUM, M.MILITARY}),
    EventType.RETREAT: frozenset({M.WITHDRAW, M.SURRENDER, M.RELEASE, M.CEASEFIRE}),
    EventType.AID: frozenset({M.HUMANITARIAN, M.EVACUATION, M.MILITARY, M.ECONOMIC}),
    EventType.PROTEST: frozenset({M.DEMONSTRATE, M.RIOT, M.STRIKE}),
    EventType.AGREE: frozenset({M.DEAL, M.CEASEFIRE, M.EVACUATION}),
    EventType.MOBILIZE: frozenset({M.TROOPS}),
    EventType.SANCTION: frozenset({M.EMBARGO}),
}
del M


class EventStatus(StrEnum):
    ASSERTED = "asserted"  # reported as fact by the article
    CLAIMED = "claimed"  # attributed to one side ("IS said", "activists said")
    DENIED = "denied"  # an actor denies it happened
    THREATENED = "threatened"  # threatened, not (yet) carried out
    PLANNED = "planned"  # announced or scheduled for the future


class DatePrecision(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class LocationPrecision(StrEnum):
    PLACE = "place"  # a town, village, neighbourhood or site
    ADMIN_AREA = "admin_area"  # a province, governorate, district
    COUNTRY = "country"
    UNKNOWN = "unknown"


class QuoteKind(StrEnum):
    DIRECT = "direct"  # whole sentence(s) inside quotation marks
    PARTIAL = "partial"  # a fragment in quotation marks inside the reporter's sentence
    INDIRECT = "indirect"  # reported speech without quotation marks


class ActorFields(BaseModel):
    """An actor's own fields (see the module docstring)."""

    name: Name = Field(
        description="The fullest form of the name used in the article.", sa_type=String(200)
    )
    aliases: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ALIASES,
        description="Other ways the article refers to this actor: acronyms, short names, "
        "descriptions ('SDF', 'the militia', 'the Kurdish-led forces'). Not pronouns.",
        sa_type=JSON,
    )
    kind: ActorKind = Field(description="What sort of actor this is.", sa_type=String(40))
    affiliation: str | None = Field(
        default=None,
        max_length=120,
        description="For a person: the actor they speak or act for (must be another actor's "
        "name), e.g. a spokesman's organisation.",
        sa_type=String(200),
    )
    country: str | None = Field(
        default=None, max_length=60, description="Country of the actor.", sa_type=String(100)
    )


class Actor(ActorFields):
    """A person, group, state or organisation that acts, is acted upon, or speaks."""


class Location(BaseModel):
    """Where an event happened; stored as one JSON value with its event. The place is named as
    the article writes it; the rest is resolved offline from GeoNames (api.llm.enrichment),
    never taken from a model."""

    place: str | None = Field(
        default=None, max_length=80, description="Town, city or site, as the article writes it."
    )
    admin_area: str | None = Field(default=None, max_length=80, description="Province/region.")
    country: str | None = Field(default=None, max_length=60)
    precision: LocationPrecision = Field(
        default=LocationPrecision.UNKNOWN, description="The most specific level given."
    )
    country_code: str | None = Field(
        default=None, max_length=2, description="ISO 3166-1 alpha-2; computed, leave null."
    )
    latitude: float | None = Field(default=None, description="Computed from GeoNames; null.")
    longitude: float | None = Field(default=None, description="Computed from GeoNames; null.")
    geonameid: int | None = Field(default=None, description="Computed from GeoNames; null.")
    geo_precision: int | None = Field(
        default=None,
        ge=1,
        le=3,
        description="ACLED's geo-precision, computed: 1 the town itself, 2 part of a region "
        "or near a town, 3 a province or the country.",
    )


class EventFields(BaseModel):
    """An event's own fields (see the module docstring)."""

    event_type: EventType = Field(
        description="PLOVER type: "
        + "; ".join(f"{t.value} = {d}" for t, d in EVENT_TYPE_DEFINITIONS.items()),
        sa_type=String(20),
        index=True,
    )
    mode: EventMode | None = Field(
        default=None,
        description="How it happened, for ASSAULT (firearms, aerial, shelling, explosive, "
        "suicide, chemical, abduction, sexual, physical), COERCE (arrest, seize, destroy, "
        "restrict), THREATEN (ultimatum, military), RETREAT (withdraw, surrender, release, "
        "ceasefire), AID (humanitarian, evacuation, military, economic), PROTEST "
        "(demonstrate, riot, strike), AGREE (deal, ceasefire, evacuation), MOBILIZE (troops), "
        "SANCTION (embargo). Null if none fits.",
        sa_type=String(20),
        index=True,
    )
    status: EventStatus = Field(
        default=EventStatus.ASSERTED,
        description="asserted = reported as fact; claimed = only one side says so; denied = "
        "an actor denies it; threatened = threatened, not carried out; planned = announced "
        "for the future.",
        sa_type=String(20),
        index=True,
    )
    summary: str = Field(
        max_length=200, description="One short sentence: who did what to whom.", sa_type=Text
    )
    date_text: str | None = Field(
        default=None,
        max_length=60,
        description="The time expression exactly as written ('on Sunday', 'in June').",
        sa_type=String(100),
    )
    date: dt.date | None = Field(
        default=None,
        description="ISO date, resolved against the article's date; null if unknown.",
        index=True,
    )
    date_precision: DatePrecision = Field(default=DatePrecision.UNKNOWN, sa_type=String(20))
    location: Location | None = Field(default=None, sa_type=JSON(none_as_null=True))
    fatalities: int | None = Field(
        default=None,
        ge=0,
        description="People killed, if the article gives a number. ACLED rule: code vague "
        "numbers low ('several' = 3, 'dozens' = 12, 'hundreds' = 100); null if not stated.",
    )
    evidence: str = Field(
        min_length=1,
        description="The sentence of the article that reports the event, copied verbatim.",
        sa_type=Text,
    )


class Event(EventFields):
    """Something an actor did, said it would do, or was reported to have done to another."""

    sources: list[Name] = Field(
        default_factory=list, max_length=4, description="Names of the actors who did it."
    )
    targets: list[Name] = Field(
        default_factory=list, max_length=4, description="Names of the actors it was done to."
    )

    @field_validator("evidence")
    @classmethod
    def _evidence_in_article(cls, evidence: str, info: ValidationInfo) -> str:
        text = _article_text(info)
        if text is not None and not occurs_in(evidence, text):
            raise ValueError(
                f"evidence {evidence[:80]!r} is not in the article: copy the sentence verbatim"
            )
        return evidence

    @model_validator(mode="after")
    def _sane(self, info: ValidationInfo) -> Event:
        if self.mode is not None and self.mode not in MODES_BY_TYPE.get(self.event_type, ()):
            allowed = sorted(m.value for m in MODES_BY_TYPE.get(self.event_type, ()))
            raise ValueError(
                f"mode {self.mode.value!r} does not belong to {self.event_type.value}; "
                f"use one of {allowed} or null"
            )
        article_date = _article_date(info)
        future_ok = self.status in (EventStatus.PLANNED, EventStatus.THREATENED)
        if (
            self.date is not None
            and article_date is not None
            and self.date > article_date
            and not future_ok
        ):
            raise ValueError(
                f"date {self.date.isoformat()} is after the article's date "
                f"{article_date.isoformat()}: resolve relative dates against the dateline"
            )
        return self


class QuoteFields(BaseModel):
    """A quote's own fields (see the module docstring)."""

    text: str = Field(
        min_length=1,
        description="The quoted words exactly as in the article (for indirect speech, the "
        "reported clause), without the surrounding quotation marks.",
        sa_type=Text,
    )
    kind: QuoteKind = Field(
        description="direct = whole sentences in quotation marks; partial = a fragment in "
        "quotation marks inside the reporter's sentence; indirect = reported speech "
        "without quotation marks.",
        sa_type=String(20),
    )
    speaker: Name | None = Field(
        default=None,
        description="Name of the actor who said it (one of the actors).",
        sa_type=String(200),
    )
    speaker_mention: str | None = Field(
        default=None,
        max_length=120,
        description="How the speaker is referred to at the quote, as written ('he', 'Bali').",
        sa_type=String(200),
    )
    cue: str | None = Field(
        default=None,
        max_length=40,
        description="The speech verb as written ('said', 'told').",
        sa_type=String(60),
    )


class Quote(QuoteFields):
    """Speech reported in the article, with who said it."""

    @field_validator("text")
    @classmethod
    def _text_in_article(cls, quote: str, info: ValidationInfo) -> str:
        text = _article_text(info)
        if text is not None and not occurs_in(quote, text):
            raise ValueError(
                f"quote {quote[:80]!r} is not in the article: quote only words that appear "
                "in it, verbatim"
            )
        return quote


class ArticleExtraction(BaseModel):
    """Every actor, event and quote in one news article."""

    actors: list[Actor] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> ArticleExtraction:
        known = {name_key(n) for a in self.actors for n in (a.name, *a.aliases)}
        unknown: list[str] = []
        for quote in self.quotes:
            if quote.speaker and name_key(quote.speaker) not in known:
                unknown.append(f"quote speaker {quote.speaker!r}")
        for i, event in enumerate(self.events):
            for role, names in (("source", event.sources), ("target", event.targets)):
                unknown.extend(f"event {i} {role} {n!r}" for n in names if name_key(n) not in known)
        if unknown:
            raise ValueError(
                "these names are not among the actors (add the actor, or use its name or an "
                "alias exactly): " + "; ".join(unknown)
            )
        return self


def _bounded(model: type[_M], name: str, **caps: int) -> type[_M]:
    """`model` with a `max_length` on the named fields (their descriptions kept)."""
    fields: dict[str, Any] = {
        field: (
            Annotated[model.model_fields[field].annotation, MaxLen(cap)],
            copy(model.model_fields[field]),
        )
        for field, cap in caps.items()
    }
    bounded: type[_M] = create_model(name, __base__=model, __doc__=model.__doc__, **fields)
    return bounded


EventAnswer = _bounded(Event, "Event", evidence=MAX_EVIDENCE_CHARS)
QuoteAnswer = _bounded(Quote, "Quote", text=MAX_QUOTE_CHARS)


class ArticleAnswer(ArticleExtraction):
    """Every actor, event and quote in one news article."""

    model_config = ConfigDict(title="ArticleExtraction")  # the tool the model calls

    actors: list[Actor] = Field(default_factory=list, max_length=MAX_ACTORS)
    events: list[EventAnswer] = Field(default_factory=list, max_length=MAX_EVENTS)  # type: ignore[valid-type]
    quotes: list[QuoteAnswer] = Field(default_factory=list, max_length=MAX_QUOTES)  # type: ignore[valid-type]


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _article_text(info: ValidationInfo) -> str | None:
    text = _context(info).get("article_text")
    return text if isinstance(text, str) else None


def _article_date(info: ValidationInfo) -> dt.date | None:
    value = _context(info).get("article_date")
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None
