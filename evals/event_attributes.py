"""What the scorers say of events beyond their match (mode, status, fatalities, the type
confusion) and how the report describes an unmatched item. Pure functions, no I/O."""

from __future__ import annotations

from schemas.grounded import GroundedActor, GroundedEvent, GroundedQuote, Span

NO_EVENT = "—"  # a gold event no predicted one shares evidence with, or the reverse


def mode_agrees(gold: GroundedEvent, pred: GroundedEvent) -> bool | None:
    """Same mode; judged where either side has one."""
    if gold.mode is None and pred.mode is None:
        return None
    return gold.mode == pred.mode


def fatalities_agree(gold: GroundedEvent, pred: GroundedEvent) -> bool | None:
    """Same number of dead; judged where either side gives one."""
    if gold.fatalities is None and pred.fatalities is None:
        return None
    return gold.fatalities == pred.fatalities


def _overlap(a: Span | None, b: Span | None) -> bool:
    return (
        a is not None
        and b is not None
        and a.start is not None
        and a.end is not None
        and b.start is not None
        and b.end is not None
        and a.start < b.end
        and b.start < a.end
    )


def type_confusion(gold: list[GroundedEvent], pred: list[GroundedEvent]) -> dict[str, int]:
    """ "GOLD>PREDICTED" type counts over events paired one-to-one by overlapping evidence,
    whatever their types (a pair of the same type first, then text order); an event left over
    pairs with "—". The report turns it into a gold × predicted table."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for same_type_first in (True, False):
        for g, ge in enumerate(gold):
            if g in pairs:
                continue
            for p, pe in enumerate(pred):
                if p in taken or not _overlap(ge.evidence_span, pe.evidence_span):
                    continue
                if same_type_first and ge.event_type != pe.event_type:
                    continue
                pairs[g] = p
                taken.add(p)
                break
    counts: dict[str, int] = {}
    cells = [f"{gold[g].event_type.value}>{pred[p].event_type.value}" for g, p in pairs.items()]
    cells += [f"{e.event_type.value}>{NO_EVENT}" for g, e in enumerate(gold) if g not in pairs]
    cells += [f"{NO_EVENT}>{e.event_type.value}" for p, e in enumerate(pred) if p not in taken]
    for cell in cells:
        counts[cell] = counts.get(cell, 0) + 1
    return dict(sorted(counts.items()))


def describe_quote(quote: GroundedQuote) -> str:
    text = quote.text if len(quote.text) <= 70 else quote.text[:67] + "..."
    return f'{quote.kind.value} quote "{text}" — {quote.speaker or "no speaker"}'


def describe_actor(actor: GroundedActor) -> str:
    aliases = f" ({', '.join(actor.aliases)})" if actor.aliases else ""
    return f"{actor.kind.value} {actor.name}{aliases}"


def describe_event(event: GroundedEvent) -> str:
    kind = event.event_type.value + (f"/{event.mode.value}" if event.mode else "")
    who = f"{', '.join(event.sources) or '?'} -> {', '.join(event.targets) or '?'}"
    what = event.summary or event.evidence
    return f"{kind} {who}: {what[:70]}"
