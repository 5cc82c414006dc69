"""WikiEvents adapter and role-filler scoring: a synthetic document in the native format
(invented text), then the real sample in ../shared/benchmarks when it is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.external import wikievents
from evals.external.common import ExternalDocument, gold_stats
from evals.external.scoring import gold_as_prediction, score_benchmark
from schemas.extraction import ActorKind, EventMode, EventType
from schemas.grounded import GroundedActor, GroundedEvent, GroundedExtraction
from tests.evals.external import BENCHMARKS

# Invented: "The Blue Circle bombed Norvik." / "It said the blast hit a depot."
SENTENCES = [
    ["The", "Blue", "Circle", "bombed", "Norvik", "."],
    ["It", "said", "the", "blast", "hit", "a", "depot", "."],
]


def native_document() -> dict[str, Any]:
    sentences: list[tuple[list[list[Any]], str]] = []
    tokens: list[str] = []
    offset = 0
    for words in SENTENCES:
        placed: list[list[Any]] = []
        for i, word in enumerate(words):
            if i and word != ".":
                offset += 1
            placed.append([word, offset, offset + len(word)])
            offset += len(word)
        text = " ".join(words).replace(" .", ".")
        sentences.append((placed, text))
        tokens.extend(words)
        offset += 2  # two characters between the sentences: rebuilt as a paragraph break
    mention = {"sent_idx": 0, "mention_type": "UNK"}
    return {
        "doc_id": "synthetic_doc_1",
        "tokens": tokens,
        "text": "".join(s[1] for s in sentences),  # the corpus drops inter-sentence space
        "sentences": sentences,
        "entity_mentions": [
            {
                **mention,
                "id": "d-T1",
                "start": 1,
                "end": 3,
                "entity_type": "ORG",
                "text": "Blue Circle",
            },
            {**mention, "id": "d-T2", "start": 4, "end": 5, "entity_type": "GPE", "text": "Norvik"},
            {
                **mention,
                "id": "d-T3",
                "start": 6,
                "end": 7,
                "entity_type": "ORG",
                "text": "It",
                "sent_idx": 1,
            },
            {
                **mention,
                "id": "d-T4",
                "start": 12,
                "end": 13,
                "entity_type": "FAC",
                "text": "depot",
                "sent_idx": 1,
            },
        ],
        "relation_mentions": [],
        "event_mentions": [
            {
                "id": "d-E1",
                "event_type": "Conflict.Attack.DetonateExplode",
                "trigger": {"start": 3, "end": 4, "text": "bombed", "sent_idx": 0},
                "arguments": [
                    {"entity_id": "d-T1", "role": "Attacker", "text": "Blue Circle"},
                    {"entity_id": "d-T2", "role": "Place", "text": "Norvik"},
                ],
            },
            {
                "id": "d-E2",
                "event_type": "Conflict.Attack.Unspecified",
                "trigger": {"start": 9, "end": 10, "text": "blast", "sent_idx": 1},
                "arguments": [
                    {"entity_id": "d-T3", "role": "Attacker", "text": "It"},
                    {"entity_id": "d-T4", "role": "Target", "text": "depot"},
                    {"entity_id": "d-T4", "role": "Instrument", "text": "depot"},
                ],
            },
            {
                "id": "d-E3",
                "event_type": "Contact.Contact.Broadcast",
                "trigger": {"start": 7, "end": 8, "text": "said", "sent_idx": 1},
                "arguments": [],
            },
        ],
    }


@pytest.fixture
def synthetic(tmp_path: Path) -> ExternalDocument:
    (tmp_path / "docs.jsonl").write_text(json.dumps(native_document()) + "\n", encoding="utf-8")
    coref = {"doc_key": "synthetic_doc_1", "clusters": [["d-T1", "d-T3"]]}
    (tmp_path / "coref.jsonlines").write_text(json.dumps(coref) + "\n", encoding="utf-8")
    [doc] = wikievents.load(tmp_path)
    return doc


def test_text_is_rebuilt_at_the_native_offsets(synthetic: ExternalDocument) -> None:
    assert synthetic.text == "The Blue Circle bombed Norvik.\n\nIt said the blast hit a depot."


def test_clusters_become_actors_with_aliases_and_kinds(synthetic: ExternalDocument) -> None:
    by_name = {a.name: a for a in synthetic.actors}
    assert set(by_name) == {"Blue Circle", "Norvik"}  # the FAC depot is no actor
    brigade = by_name["Blue Circle"]
    assert brigade.kind == ActorKind.ARMED_GROUP  # its name says nothing: it is an Attacker
    assert brigade.aliases == []  # "It" is a pronoun: a mention, not an alias
    assert [synthetic.text[m.start : m.end] for m in brigade.mentions] == ["Blue Circle", "It"]
    assert by_name["Norvik"].kind == ActorKind.STATE


def test_events_map_with_roles_and_evidence(synthetic: ExternalDocument) -> None:
    bombing, blast = synthetic.events
    assert (bombing.event_type, bombing.mode) == (EventType.ASSAULT, EventMode.EXPLOSIVE)
    assert [f.alternatives for f in bombing.sources] == [["Blue Circle"]]
    assert bombing.location is not None and bombing.location.place == "Norvik"
    assert bombing.evidence_span is not None
    assert bombing.evidence_span.text == "The Blue Circle bombed Norvik."
    assert (blast.event_type, blast.mode) == (EventType.ASSAULT, None)
    assert [f.alternatives for f in blast.sources] == [["Blue Circle"]]  # not the pronoun
    assert [f.alternatives for f in blast.targets] == [["depot"]]
    assert synthetic.unmapped == {"event_type:Contact.Contact.Broadcast": 1, "role:Instrument": 1}


def test_role_filler_scoring(synthetic: ExternalDocument) -> None:
    docs = [synthetic]
    assert (
        score_benchmark("wikievents", docs, [gold_as_prediction(synthetic)])
        .counts["role_fillers"]
        .f1
        == 1.0
    )
    assert score_benchmark("wikievents", docs, [None]).counts["role_fillers"].recall == 0.0
    # One event found, named through an alias of the predicted actor; the second missed.
    pred = GroundedExtraction(
        actors=[GroundedActor(name="Blue Circle", aliases=["BB"], kind=ActorKind.ARMED_GROUP)],
        events=[
            GroundedEvent(
                event_type=EventType.ASSAULT,
                sources=["BB"],
                targets=["the town"],
                summary="s",
                evidence="The Blue Circle bombed Norvik.",
            )
        ],
    )
    report = score_benchmark("wikievents", docs, [pred])
    fillers = report.counts["role_fillers"]
    assert (fillers.tp, fillers.fp, fillers.fn) == (1, 1, 2)
    assert (report.counts["events"].tp, report.counts["events"].fn) == (1, 1)


SAMPLE = BENCHMARKS / "wikievents"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="no WikiEvents sample in ../shared/benchmarks")
def test_real_sample() -> None:
    docs = wikievents.load(SAMPLE)
    raw = [json.loads(line) for line in (SAMPLE / "wikievents.jsonl").open(encoding="utf-8")]
    assert len(docs) == len(raw) > 0
    for doc, record in zip(docs, raw, strict=True):
        assert len(doc.text) >= len(record["text"])  # whitespace the corpus dropped is back
        spans = [m for a in doc.actors for m in a.mentions]
        spans += [e.evidence_span for e in doc.events if e.evidence_span]
        assert spans and all(doc.text[s.start : s.end] == s.text for s in spans)
        mapped = len(doc.events) + sum(
            n for k, n in doc.unmapped.items() if k.startswith("event_type:")
        )
        assert mapped == len(record["event_mentions"])  # every event mapped or counted
    stats = gold_stats(docs)
    assert stats["events_ASSAULT"] == sum(
        e["event_type"].startswith("Conflict.Attack.") for r in raw for e in r["event_mentions"]
    )
    gold = score_benchmark("wikievents", docs, [gold_as_prediction(d) for d in docs])
    assert gold.counts["role_fillers"].f1 == 1.0 and gold.counts["events"].f1 == 1.0
    assert gold.unmapped_total > 0
    empty = score_benchmark("wikievents", docs, [None] * len(docs))
    assert empty.counts["role_fillers"].recall == 0.0
