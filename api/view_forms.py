"""The view's review forms, posted without JavaScript (form-encoded), as a `ReviewIn`.

Each form holds one change to the served version, its fields filled with what that version
says. Only the fields the analyst changed go into the change (compared with the served
version), as view.js does with the fields' default values when it posts JSON to the API: an
untouched field is never re-sent, so nothing is re-resolved that was not corrected. An
emptied optional field is cleared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError

from schemas.api import EventPublic, ExtractionPublic, QuotePublic
from schemas.review import ReviewIn

Form = dict[str, list[str]]
OPS = (
    "update_event",
    "delete_event",
    "add_event",
    "update_quote",
    "delete_quote",
    "update_actor",
    "delete_actor",
    "merge_actors",
)


class FormRejected(Exception):
    """A form that is no review: the text says what is wrong (shown on the page, a 4xx)."""

    def __init__(self, detail: str, status_code: int = 422) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


def parse_form(body: bytes) -> Form:
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError) as error:
        raise FormRejected(f"the form could not be read: {error}", 400) from None


def one(form: Form, name: str) -> str:
    """The field's value, stripped; "" when absent."""
    values = form.get(name) or [""]
    return values[-1].strip()


def _int(form: Form, name: str) -> int:
    value = one(form, name)
    if not value.isdigit():
        raise FormRejected(f"{name} must be a number, not {value!r}")
    return int(value)


def _names(form: Form, name: str) -> list[str]:
    return [v.strip() for v in form.get(name, []) if v.strip()]


def _event(extraction: ExtractionPublic, event_id: int) -> EventPublic:
    for event in extraction.events:
        if event.id == event_id:
            return event
    raise FormRejected(f"event {event_id} is not in the version served now: reload the page")


def _quote(extraction: ExtractionPublic, quote_id: int) -> QuotePublic:
    for quote in extraction.quotes:
        if quote.id == quote_id:
            return quote
    raise FormRejected(f"quote {quote_id} is not in the version served now: reload the page")


def _event_fields(form: Form, event: EventPublic | None) -> dict[str, Any]:
    """The event fields that differ from `event` (all that are filled, for a new event), and
    the optional ones emptied (`clear`)."""
    current: dict[str, str] = {}
    if event is not None:
        current = {
            "event_type": event.event_type.value,
            "mode": event.mode.value if event.mode else "",
            "status": event.status.value,
            "date": event.date.isoformat() if event.date else "",
            "fatalities": "" if event.fatalities is None else str(event.fatalities),
            "place": (event.location.place or "") if event.location else "",
        }
    change: dict[str, Any] = {}
    clear: list[str] = []
    for name in ("event_type", "mode", "status", "date", "fatalities", "place"):
        if name not in form:
            continue
        value = one(form, name)
        if value == current.get(name, ""):
            continue
        target = "location" if name == "place" else name
        if not value:
            clear.append(target)
        elif name == "place":
            change["location"] = {"place": value}
        elif name == "fatalities":  # the review's counts are strict integers
            change[name] = _int(form, name)
        else:
            change[name] = value
    if "date" in change:
        change["date_precision"] = "day"  # a date typed in full names its day
    for role in ("sources", "targets"):
        if f"{role}_shown" not in form:  # the checkboxes were not on the form
            continue
        sent = _names(form, role)
        was = [a.name for a in getattr(event, role)] if event is not None else []
        if sorted(sent) != sorted(was):
            change[role] = sent
    if clear:
        change["clear"] = clear
    return change


def change_of(form: Form, extraction: ExtractionPublic) -> dict[str, Any]:
    """The one change a view form sends, as schemas.review's `Change` takes it."""
    op = one(form, "op")
    if op not in OPS:
        raise FormRejected(f"unknown review operation {op!r}: one of {', '.join(OPS)}")
    if op == "update_event":
        event_id = _int(form, "event_id")
        change = _event_fields(form, _event(extraction, event_id))
        if not change:
            raise FormRejected(f"nothing changed on event {event_id}: edit a field first")
        return {"op": op, "event_id": event_id, **change}
    if op == "add_event":
        fields = _event_fields(form, None)
        fields.pop("clear", None)
        return {"op": op, "evidence": one(form, "evidence"), **fields}
    if op == "update_quote":
        quote = _quote(extraction, _int(form, "quote_id"))
        quote_change: dict[str, Any] = {"op": op, "quote_id": quote.id}
        speaker, kind = one(form, "speaker"), one(form, "kind")
        if "speaker" in form and speaker != (quote.speaker or ""):
            quote_change |= {"speaker": speaker} if speaker else {"clear_speaker": True}
        if kind and kind != quote.kind.value:
            quote_change["kind"] = kind
        if len(quote_change) == 2:
            raise FormRejected(f"nothing changed on quote {quote.id}: edit a field first")
        return quote_change
    if op == "update_actor":
        actor_change: dict[str, Any] = {"op": op, "actor_id": _int(form, "actor_id")}
        actor = next((a for a in extraction.actors if a.id == actor_change["actor_id"]), None)
        if actor is None:
            raise FormRejected("that actor is not in the version served now: reload the page")
        if one(form, "name") and one(form, "name") != actor.name:
            actor_change["name"] = one(form, "name")
        if one(form, "kind") and one(form, "kind") != actor.kind.value:
            actor_change["kind"] = one(form, "kind")
        if len(actor_change) == 2:
            raise FormRejected(f"nothing changed on actor {actor.name!r}: edit a field first")
        return actor_change
    if op == "merge_actors":
        if not one(form, "into"):
            raise FormRejected("choose the actor to merge into")
        return {"op": op, "into": _int(form, "into"), "actor_ids": [_int(form, "actor_id")]}
    key = {"delete_event": "event_id", "delete_quote": "quote_id", "delete_actor": "actor_id"}[op]
    return {"op": op, key: _int(form, key)}


def review_of_form(form: Form, extraction: ExtractionPublic) -> ReviewIn:
    """The form as a review of `extraction` (the served version); FormRejected says why not."""
    base = one(form, "base_job_id")
    body = {
        "changes": [change_of(form, extraction)],
        "note": one(form, "note") or None,
        "base_job_id": int(base) if base.isdigit() else None,
    }
    try:
        return ReviewIn.model_validate(body)
    except ValidationError as error:
        problems = "; ".join(f"{_field_of(e['loc'])}: {e['msg']}" for e in error.errors())
        raise FormRejected(f"the correction is not valid: {problems}") from None


def _field_of(loc: tuple[int | str, ...]) -> str:
    """A validation error's field as the form names it ('mode', not 'changes.0.update_event')."""
    names = [str(p) for p in loc if not isinstance(p, int) and p not in ("changes", *OPS)]
    return ".".join(names) or "the form"
