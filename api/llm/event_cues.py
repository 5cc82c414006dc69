"""Sentences that may report an event, by their words (stage 0 of the staged pipeline).

The staged pipeline asks the model to code only these sentences, one answer each: asked for
"the events" of a whole article, the 0.5B model coded sentence 1, 2, 3, ... in order whatever
they said. The stems cover PLOVER's 16 types as wire copy words them.
"""

from __future__ import annotations

import re

from api.llm.sentences import Sentence

EVENT_STEMS = (
    # ASSAULT
    "attack", "strike", "struck", "airstrike", "air strike", "raid", "shell", "bomb", "kill",
    "clash", "fight", "offensive", "assault", "fire", "fired", "rocket", "missile", "drone",
    "storm", "captur", "seiz", "abduct", "kidnap", "wound", "injur", "ambush", "explo",
    "battle", "retake", "broke into", "hit ", "landmine", "land mine", "mine", "gunmen",
    # COERCE / PROTEST / SANCTION / MOBILIZE
    "arrest", "detain", "curfew", "ban", "clos", "demolish", "loot", "protest", "march",
    "rall", "demonstrat", "riot", "sanction", "embargo", "expel", "deploy", "mass", "troops",
    "reinforcement", "alert",
    # THREATEN / REQUEST / ACCUSE / REJECT
    "threat", "ultimatum", "deadline", "warn", "demand", "call on", "called on", "urge",
    "appeal", "ask", "accus", "blame", "condemn", "denounc", "criticis", "reject", "refus",
    "deni", "deny", "ignor", "dismiss",
    # AGREE / CONSULT / AID / RETREAT / SUPPORT / CONCEDE / COOPERATE
    "agree", "agreement", "deal", "truce", "ceasefire", "cease-fire", "sign", "talks",
    "meet", "met ", "negotiat", "visit", "mediat", "broker", "aid", "convoy", "deliver",
    "evacuat", "relief", "supplies", "withdr", "retreat", "surrender", "releas", "freed",
    "exchang", "swap", "pull out", "pulled out", "left ", "leave", "praise", "welcom",
    "support", "apolog", "admit", "eas", "lift", "joint", "cooperat", "announc",
)  # fmt: skip
_STEM = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in EVENT_STEMS) + ")", re.IGNORECASE)


def may_report_event(sentence: Sentence) -> bool:
    """A whole sentence (not a headline, dateline or fragment) with a word of action."""
    text = sentence.text
    if len(text.split()) < 4 or text.rstrip("”’\"' )")[-1:] not in ".!?":
        return False
    return _STEM.search(text) is not None


def event_sentences(sentences: list[Sentence]) -> list[Sentence]:
    return [s for s in sentences if may_report_event(s)]
