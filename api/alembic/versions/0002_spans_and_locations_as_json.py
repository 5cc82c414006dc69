"""spans and locations stored as one JSON value each

An event's location and evidence span, and a quote's span and speaker span, were spread over
columns (place, admin_area, ..., evidence_start, evidence_end, ...); they are now stored the
way the schemas declare them (schemas.extraction.Location, schemas.grounded.Span), so a field
added to those needs no migration. Existing rows are carried over.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_OLD = (
    ("place", sa.String(length=100)),
    ("admin_area", sa.String(length=100)),
    ("country", sa.String(length=100)),
    ("location_precision", sa.String(length=20)),
    ("evidence_start", sa.Integer()),
    ("evidence_end", sa.Integer()),
)
_QUOTE_OLD = (
    ("start", sa.Integer()),
    ("end", sa.Integer()),
    ("speaker_start", sa.Integer()),
    ("speaker_end", sa.Integer()),
    ("speaker_alignment", sa.String(length=16)),
)
_JSON = sa.JSON(none_as_null=True)


def _span(start: Any, end: Any, text: Any, alignment: Any) -> dict[str, Any] | None:
    if alignment is None:
        return None
    return {"start": start, "end": end, "text": text or "", "alignment": alignment}


def _location(row: Any) -> dict[str, Any] | None:
    if not any((row.place, row.admin_area, row.country, row.location_precision)):
        return None
    return {
        "place": row.place,
        "admin_area": row.admin_area,
        "country": row.country,
        "precision": row.location_precision or "unknown",
    }


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", _JSON, nullable=True))
        batch_op.add_column(sa.Column("evidence_span", _JSON, nullable=True))
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("span", _JSON, nullable=True))
        batch_op.add_column(sa.Column("speaker_span", _JSON, nullable=True))

    bind = op.get_bind()
    event = sa.table(
        "event",
        sa.column("id", sa.Integer()),
        sa.column("evidence", sa.Text()),
        sa.column("evidence_alignment", sa.String()),
        sa.column("location", _JSON),
        sa.column("evidence_span", _JSON),
        *(sa.column(name, kind) for name, kind in _EVENT_OLD),
    )
    for row in bind.execute(sa.select(event)).all():
        bind.execute(
            event.update()
            .where(event.c.id == row.id)
            .values(
                location=_location(row),
                evidence_span=_span(
                    row.evidence_start, row.evidence_end, row.evidence, row.evidence_alignment
                ),
            )
        )
    quote = sa.table(
        "quote",
        sa.column("id", sa.Integer()),
        sa.column("text", sa.Text()),
        sa.column("speaker_mention", sa.String()),
        sa.column("alignment", sa.String()),
        sa.column("span", _JSON),
        sa.column("speaker_span", _JSON),
        *(sa.column(name, kind) for name, kind in _QUOTE_OLD),
    )
    for row in bind.execute(sa.select(quote)).all():
        bind.execute(
            quote.update()
            .where(quote.c.id == row.id)
            .values(
                span=_span(row.start, row.end, row.text, row.alignment),
                speaker_span=_span(
                    row.speaker_start, row.speaker_end, row.speaker_mention, row.speaker_alignment
                ),
            )
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        for name, _ in _EVENT_OLD:
            batch_op.drop_column(name)
        batch_op.drop_column("evidence_alignment")
    with op.batch_alter_table("quote", schema=None) as batch_op:
        for name, _ in _QUOTE_OLD:
            batch_op.drop_column(name)
        batch_op.drop_column("alignment")


def downgrade() -> None:
    with op.batch_alter_table("quote", schema=None) as batch_op:
        for name, kind in _QUOTE_OLD:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.add_column(
            sa.Column("alignment", sa.String(length=16), nullable=False, server_default="none")
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        for name, kind in _EVENT_OLD:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.add_column(
            sa.Column(
                "evidence_alignment", sa.String(length=16), nullable=False, server_default="none"
            )
        )

    bind = op.get_bind()
    event = sa.table(
        "event",
        sa.column("id", sa.Integer()),
        sa.column("evidence_alignment", sa.String()),
        sa.column("location", _JSON),
        sa.column("evidence_span", _JSON),
        *(sa.column(name, kind) for name, kind in _EVENT_OLD),
    )
    for row in bind.execute(sa.select(event)).all():
        where, span = row.location or {}, row.evidence_span or {}
        bind.execute(
            event.update()
            .where(event.c.id == row.id)
            .values(
                place=where.get("place"),
                admin_area=where.get("admin_area"),
                country=where.get("country"),
                location_precision=where.get("precision"),
                evidence_start=span.get("start"),
                evidence_end=span.get("end"),
                evidence_alignment=span.get("alignment", "none"),
            )
        )
    quote = sa.table(
        "quote",
        sa.column("id", sa.Integer()),
        sa.column("alignment", sa.String()),
        sa.column("span", _JSON),
        sa.column("speaker_span", _JSON),
        *(sa.column(name, kind) for name, kind in _QUOTE_OLD),
    )
    for row in bind.execute(sa.select(quote)).all():
        span, speaker = row.span or {}, row.speaker_span or {}
        bind.execute(
            quote.update()
            .where(quote.c.id == row.id)
            .values(
                start=span.get("start"),
                end=span.get("end"),
                alignment=span.get("alignment", "none"),
                speaker_start=speaker.get("start"),
                speaker_end=speaker.get("end"),
                speaker_alignment=speaker.get("alignment"),
            )
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("evidence_span")
        batch_op.drop_column("location")
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_column("speaker_span")
        batch_op.drop_column("span")
