"""Which name places an event (the hybrid pipeline's stage 0): a town GeoNames knows in the
article's countries before a province, a province before a country, a name an actor holds
never; an event whose sentence names no place takes the last one named before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.llm.actor_candidates import ActorCandidate
from api.llm.actors import AliasTable
from api.llm.event_facts import PlaceMention, places_in
from api.llm.gazetteer import Gazetteer
from api.llm.nlp import ParsedSentence
from api.llm.roles import ActorIndex
from schemas.text import name_key

if TYPE_CHECKING:
    from api.llm.event_context import CodedEvent


class Places:
    """Which of a sentence's names places an event: a town GeoNames knows in the article's
    countries before a province, a province before a country, a name the article's actors
    hold ("Kurdistan 24") never. An event whose sentence names no place takes the last town
    or province the article named before it (the labelling guide's "the city")."""

    def __init__(
        self,
        gazetteer: Gazetteer | None,
        countries: tuple[str, ...],
        aliases: AliasTable | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.countries = countries
        self.aliases = aliases

    def _rank(self, mention: PlaceMention) -> int:
        """0 a town, 1 a province, 2 a country, 3 a place GeoNames does not know; 9 not a
        place (a name the recogniser did not call a place and GeoNames does not know in the
        article's main country)."""
        if self.gazetteer is None:
            return 1 if mention.labelled else 9
        if mention.capital_of:
            return 0
        if self.gazetteer.country(mention.text) is not None:
            return 2 if mention.labelled else 9
        # a name the recogniser did not call a place must be an exact GeoNames name
        if self.gazetteer.place(mention.text, self.countries, fuzzy=mention.labelled):
            return 0
        if self.gazetteer.admin_area(mention.text, self.countries) is not None:
            return 1
        return 3 if mention.labelled else 9

    def only_a_place(self, actor: ActorCandidate) -> bool:
        """A town or province, not an actor: a place the recogniser called GPE, or any name
        GeoNames knows as a town or province of the article, unless it is a country or the
        table names an actor by it."""
        if self.gazetteer is None or self.acts(actor.name):
            return False
        if actor.label == "GPE":
            return True
        return actor.kind is None and (
            self.is_town(actor.name)
            or self.gazetteer.admin_area(actor.name, self.countries) is not None
        )

    def acts(self, name: str) -> bool:
        """A place name that can act: a country, or a capital the table names a government
        by ("Moscow", "Damascus")."""
        if self.gazetteer is None:
            return True
        return self.gazetteer.country(name) is not None or self.table_knows(name)

    def table_knows(self, name: str) -> bool:
        return self.aliases is not None and self.aliases.lookup(name) is not None

    def is_place(self, name: str, near_spelling: bool = False) -> bool:
        """A town or province of the article's main country ("Raqa", "Tigray")."""
        return self.is_town(name, near_spelling) or (
            self.gazetteer is not None
            and self.gazetteer.admin_area(name, self.countries[:1]) is not None
        )

    def is_town(self, name: str, near_spelling: bool = False) -> bool:
        """A town GeoNames knows by this name (or, with `near_spelling`, a near spelling:
        "Raqa" for "Raqqa") in the article's main country."""
        if self.gazetteer is None or not self.countries:
            return False
        found = self.gazetteer.place(name, self.countries[:1], fuzzy=near_spelling)
        return found is not None

    def _name(self, mention: PlaceMention) -> str:
        if mention.capital_of and self.gazetteer is not None:
            country = self.gazetteer.country(mention.text)
            if country is not None and country.capital:
                return country.capital
        return mention.text

    def _usable(
        self, mentions: list[PlaceMention], index: ActorIndex, actors: list[str]
    ) -> list[PlaceMention]:
        names = {name_key(a) for a in actors}
        return [
            m
            for m in mentions
            if name_key(m.text) not in names and not index.names_an_actor(m.start, m.end)
        ]

    def choose(
        self, mentions: list[PlaceMention], index: ActorIndex, actors: list[str]
    ) -> str | None:
        usable = [m for m in self._usable(mentions, index, actors) if self._rank(m) < 9]
        if not usable:
            return None
        best = min(usable, key=lambda m: (not m.own, self._rank(m)))  # stable: nearest first
        return self._name(best)

    def fill(
        self, events: list[CodedEvent], parsed: list[ParsedSentence], index: ActorIndex
    ) -> None:
        """Events with no place of their own take the last town or province named before."""
        named: list[tuple[int, str]] = []
        for sentence in parsed:
            for mention in self._usable(places_in(sentence), index, []):
                if self._rank(mention) in (0, 1, 3):
                    named.append((mention.start, self._name(mention)))
        for event in events:
            if event.place is None:
                before = [name for start, name in named if start < event.sentence.start]
                after = [name for start, name in named if start >= event.sentence.end]
                event.place = before[-1] if before else (after[0] if after else None)
