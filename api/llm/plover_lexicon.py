"""The PLOVER lexicon: the words wire copy reports events with, and the type and mode each gives.

Built from the PLOVER codebook's definitions and the labelling guide's table
(evals/README.md), by lemma. A verb reports an event itself ("the SDF stormed Raqa"); a noun
reports one when a verb carries it ("conducted airstrikes", "launched an offensive", "clashes
broke out") or a preposition ties it to the sentence ("under an evacuation deal"). Modes of
ASSAULT and AID come from the words around the trigger (MODE_CUES): "killed in an airstrike" is
aerial, "bombed by warplanes" too, "a car bomb" explosive.

Several readings of one word are listed in order of preference; the hybrid pipeline asks the
model to choose only where a word has more than one.
"""

from __future__ import annotations

from schemas.extraction import EventMode, EventType

T, M = EventType, EventMode
Reading = tuple[EventType, EventMode | None]

VERBS: dict[str, tuple[Reading, ...]] = {
    # ASSAULT
    "attack": ((T.ASSAULT, None),),
    "strike": ((T.ASSAULT, None),),
    "hit": ((T.ASSAULT, None),),
    "target": ((T.ASSAULT, None),),
    "bomb": ((T.ASSAULT, M.AERIAL),),
    "bombard": ((T.ASSAULT, M.SHELLING),),
    "shell": ((T.ASSAULT, M.SHELLING),),
    "pound": ((T.ASSAULT, M.SHELLING),),
    "shoot": ((T.ASSAULT, M.FIREARMS),),
    "fire": ((T.ASSAULT, M.FIREARMS),),
    "clash": ((T.ASSAULT, M.FIREARMS),),
    "fight": ((T.ASSAULT, M.FIREARMS),),
    "storm": ((T.ASSAULT, M.FIREARMS),),
    "capture": ((T.ASSAULT, M.FIREARMS),),
    "retake": ((T.ASSAULT, M.FIREARMS),),
    "recapture": ((T.ASSAULT, M.FIREARMS),),
    "overrun": ((T.ASSAULT, M.FIREARMS),),
    "ambush": ((T.ASSAULT, M.FIREARMS),),
    "besiege": ((T.ASSAULT, M.FIREARMS),),
    "invade": ((T.ASSAULT, M.FIREARMS),),
    "kill": ((T.ASSAULT, None),),
    "massacre": ((T.ASSAULT, M.PHYSICAL),),
    "execute": ((T.ASSAULT, M.PHYSICAL),),
    "behead": ((T.ASSAULT, M.PHYSICAL),),
    "beat": ((T.ASSAULT, M.PHYSICAL),),
    "torture": ((T.ASSAULT, M.PHYSICAL),),
    "stab": ((T.ASSAULT, M.PHYSICAL),),
    "rape": ((T.ASSAULT, M.SEXUAL),),
    "abduct": ((T.ASSAULT, M.ABDUCTION),),
    "kidnap": ((T.ASSAULT, M.ABDUCTION),),
    "explode": ((T.ASSAULT, M.EXPLOSIVE),),
    "detonate": ((T.ASSAULT, M.EXPLOSIVE),),
    "blow": ((T.ASSAULT, M.EXPLOSIVE),),
    "gas": ((T.ASSAULT, M.CHEMICAL),),
    # COERCE
    "arrest": ((T.COERCE, M.ARREST),),
    "detain": ((T.COERCE, M.ARREST),),
    "jail": ((T.COERCE, M.ARREST),),
    "imprison": ((T.COERCE, M.ARREST),),
    "seize": ((T.COERCE, M.SEIZE), (T.ASSAULT, M.FIREARMS)),
    "confiscate": ((T.COERCE, M.SEIZE),),
    "loot": ((T.COERCE, M.SEIZE),),
    "plunder": ((T.COERCE, M.SEIZE),),
    "remove": ((T.COERCE, M.SEIZE),),
    "destroy": ((T.COERCE, M.DESTROY),),
    "demolish": ((T.COERCE, M.DESTROY),),
    "raze": ((T.COERCE, M.DESTROY),),
    "burn": ((T.COERCE, M.DESTROY),),
    "ban": ((T.COERCE, M.RESTRICT),),
    "impose": ((T.COERCE, M.RESTRICT),),
    "censor": ((T.COERCE, M.RESTRICT),),
    "block": ((T.COERCE, M.RESTRICT),),
    "raid": ((T.COERCE, M.ARREST), (T.ASSAULT, M.FIREARMS)),
    # THREATEN
    "threaten": ((T.THREATEN, None),),
    "warn": ((T.THREATEN, None),),
    # REQUEST
    "demand": ((T.REQUEST, None),),
    "urge": ((T.REQUEST, None),),
    "appeal": ((T.REQUEST, None),),
    "request": ((T.REQUEST, None),),
    "plead": ((T.REQUEST, None),),
    "reiterate": ((T.REQUEST, None),),
    # ACCUSE
    "accuse": ((T.ACCUSE, None),),
    "blame": ((T.ACCUSE, None),),
    "condemn": ((T.ACCUSE, None),),
    "denounce": ((T.ACCUSE, None),),
    "criticize": ((T.ACCUSE, None),),
    "criticise": ((T.ACCUSE, None),),
    "summon": ((T.ACCUSE, None),),
    "slam": ((T.ACCUSE, None),),
    # REJECT
    "reject": ((T.REJECT, None),),
    "refuse": ((T.REJECT, None),),
    "deny": ((T.REJECT, None),),
    "dismiss": ((T.REJECT, None),),
    "ignore": ((T.REJECT, None),),
    "spurn": ((T.REJECT, None),),
    "rebuff": ((T.REJECT, None),),
    "defy": ((T.REJECT, None),),
    "veto": ((T.REJECT, None),),
    "disagree": ((T.REJECT, None),),
    "oppose": ((T.REJECT, None),),
    # AGREE
    "agree": ((T.AGREE, M.DEAL),),
    "sign": ((T.AGREE, M.DEAL),),
    "broker": ((T.AGREE, M.DEAL),),
    "accept": ((T.AGREE, M.DEAL), (T.CONCEDE, None)),
    # CONSULT
    "meet": ((T.CONSULT, None),),
    "visit": ((T.CONSULT, None),),
    "negotiate": ((T.CONSULT, None),),
    "host": ((T.CONSULT, None),),
    "mediate": ((T.CONSULT, None),),
    "discuss": ((T.CONSULT, None),),
    "consult": ((T.CONSULT, None),),
    # SUPPORT
    "praise": ((T.SUPPORT, None),),
    "welcome": ((T.SUPPORT, None),),
    "endorse": ((T.SUPPORT, None),),
    "hail": ((T.SUPPORT, None),),
    "commend": ((T.SUPPORT, None),),
    "highlight": ((T.SUPPORT, None),),
    "thank": ((T.SUPPORT, None),),
    "defend": ((T.SUPPORT, None),),
    # CONCEDE
    "apologize": ((T.CONCEDE, None),),
    "apologise": ((T.CONCEDE, None),),
    "admit": ((T.CONCEDE, None),),
    "ease": ((T.CONCEDE, None),),
    "lift": ((T.CONCEDE, None),),
    "clear": ((T.CONCEDE, None),),
    "grant": ((T.CONCEDE, None),),
    "pardon": ((T.CONCEDE, None),),
    "allow": ((T.CONCEDE, None),),
    # COOPERATE
    "cooperate": ((T.COOPERATE, None),),
    "coordinate": ((T.COOPERATE, None),),
    # AID
    "deliver": ((T.AID, M.HUMANITARIAN),),
    "evacuate": ((T.AID, M.EVACUATION),),
    "rescue": ((T.AID, M.EVACUATION),),
    "airdrop": ((T.AID, M.HUMANITARIAN),),
    "supply": ((T.AID, M.MILITARY),),
    "donate": ((T.AID, M.ECONOMIC),),
    "arrive": ((T.AID, M.HUMANITARIAN),),
    "reach": ((T.AID, M.HUMANITARIAN),),
    # RETREAT
    "withdraw": ((T.RETREAT, M.WITHDRAW),),
    "retreat": ((T.RETREAT, M.WITHDRAW),),
    "leave": ((T.RETREAT, M.WITHDRAW),),
    "pull": ((T.RETREAT, M.WITHDRAW),),
    "surrender": ((T.RETREAT, M.SURRENDER),),
    "release": ((T.RETREAT, M.RELEASE),),
    "free": ((T.RETREAT, M.RELEASE),),
    "swap": ((T.RETREAT, M.RELEASE),),
    "exchange": ((T.RETREAT, M.RELEASE),),
    "pause": ((T.RETREAT, M.CEASEFIRE),),
    "halt": ((T.RETREAT, M.CEASEFIRE),),
    "suspend": ((T.RETREAT, M.CEASEFIRE), (T.SANCTION, None)),
    "disarm": ((T.RETREAT, None),),
    # PROTEST
    "protest": ((T.PROTEST, M.DEMONSTRATE), (T.ACCUSE, None)),
    "demonstrate": ((T.PROTEST, M.DEMONSTRATE),),
    "rally": ((T.PROTEST, M.DEMONSTRATE),),
    "march": ((T.PROTEST, M.DEMONSTRATE),),
    "riot": ((T.PROTEST, M.RIOT),),
    # SANCTION
    "sanction": ((T.SANCTION, M.EMBARGO),),
    "embargo": ((T.SANCTION, M.EMBARGO),),
    "boycott": ((T.SANCTION, None),),
    "expel": ((T.SANCTION, None),),
    # MOBILIZE
    "deploy": ((T.MOBILIZE, M.TROOPS),),
    "mass": ((T.MOBILIZE, M.TROOPS),),
    "mobilize": ((T.MOBILIZE, M.TROOPS),),
    "mobilise": ((T.MOBILIZE, M.TROOPS),),
    "reinforce": ((T.MOBILIZE, M.TROOPS),),
}

NOUNS: dict[str, tuple[Reading, ...]] = {
    "airstrike": ((T.ASSAULT, M.AERIAL),),
    "strike": ((T.ASSAULT, None), (T.PROTEST, M.STRIKE)),
    "raid": ((T.ASSAULT, M.AERIAL), (T.COERCE, M.ARREST)),
    "attack": ((T.ASSAULT, None),),
    "offensive": ((T.ASSAULT, M.FIREARMS),),
    "assault": ((T.ASSAULT, M.FIREARMS),),
    "push": ((T.ASSAULT, M.FIREARMS),),
    "operation": ((T.ASSAULT, M.FIREARMS),),
    "clash": ((T.ASSAULT, M.FIREARMS),),
    "fighting": ((T.ASSAULT, M.FIREARMS),),
    "battle": ((T.ASSAULT, M.FIREARMS),),
    "gunfire": ((T.ASSAULT, M.FIREARMS),),
    "ambush": ((T.ASSAULT, M.FIREARMS),),
    "shelling": ((T.ASSAULT, M.SHELLING),),
    "bombardment": ((T.ASSAULT, M.SHELLING),),
    "rocket": ((T.ASSAULT, M.SHELLING),),
    "missile": ((T.ASSAULT, M.SHELLING),),
    "mortar": ((T.ASSAULT, M.SHELLING),),
    "bombing": ((T.ASSAULT, M.EXPLOSIVE),),
    "explosion": ((T.ASSAULT, M.EXPLOSIVE),),
    "blast": ((T.ASSAULT, M.EXPLOSIVE),),
    "mine": ((T.ASSAULT, M.EXPLOSIVE),),
    "landmine": ((T.ASSAULT, M.EXPLOSIVE),),
    "massacre": ((T.ASSAULT, M.PHYSICAL),),
    "killing": ((T.ASSAULT, M.PHYSICAL),),
    "kidnapping": ((T.ASSAULT, M.ABDUCTION),),
    "abduction": ((T.ASSAULT, M.ABDUCTION),),
    "ultimatum": ((T.THREATEN, M.ULTIMATUM),),
    "deadline": ((T.THREATEN, M.ULTIMATUM),),
    "threat": ((T.THREATEN, None),),
    "deal": ((T.AGREE, M.DEAL),),
    "agreement": ((T.AGREE, M.DEAL),),
    "accord": ((T.AGREE, M.DEAL),),
    "truce": ((T.AGREE, M.CEASEFIRE), (T.RETREAT, M.CEASEFIRE)),
    "ceasefire": ((T.AGREE, M.CEASEFIRE), (T.RETREAT, M.CEASEFIRE)),
    "cease-fire": ((T.AGREE, M.CEASEFIRE), (T.RETREAT, M.CEASEFIRE)),
    "talk": ((T.CONSULT, None),),
    "negotiation": ((T.CONSULT, None),),
    "meeting": ((T.CONSULT, None),),
    "summit": ((T.CONSULT, None),),
    "visit": ((T.CONSULT, None),),
    "mediation": ((T.CONSULT, None),),
    "convoy": ((T.AID, M.HUMANITARIAN),),
    "aid": ((T.AID, M.HUMANITARIAN),),
    "assistance": ((T.AID, M.HUMANITARIAN),),
    "relief": ((T.AID, M.HUMANITARIAN),),
    "evacuation": ((T.AID, M.EVACUATION),),
    "sanction": ((T.SANCTION, M.EMBARGO),),
    "embargo": ((T.SANCTION, M.EMBARGO),),
    "protest": ((T.PROTEST, M.DEMONSTRATE),),
    "demonstration": ((T.PROTEST, M.DEMONSTRATE),),
    "rally": ((T.PROTEST, M.DEMONSTRATE),),
    "march": ((T.PROTEST, M.DEMONSTRATE),),
    "sit-in": ((T.PROTEST, M.DEMONSTRATE),),
    "riot": ((T.PROTEST, M.RIOT),),
    "curfew": ((T.COERCE, M.RESTRICT),),
    "crackdown": ((T.COERCE, M.ARREST),),
    "arrest": ((T.COERCE, M.ARREST),),
    "detention": ((T.COERCE, M.ARREST),),
    "withdrawal": ((T.RETREAT, M.WITHDRAW),),
    "retreat": ((T.RETREAT, M.WITHDRAW),),
    "surrender": ((T.RETREAT, M.SURRENDER),),
    "release": ((T.RETREAT, M.RELEASE),),
    "swap": ((T.RETREAT, M.RELEASE),),
    "exchange": ((T.RETREAT, M.RELEASE),),
    "pause": ((T.RETREAT, M.CEASEFIRE),),
    "deployment": ((T.MOBILIZE, M.TROOPS),),
    "reinforcement": ((T.MOBILIZE, M.TROOPS),),
    "buildup": ((T.MOBILIZE, M.TROOPS),),
    "accusation": ((T.ACCUSE, None),),
    "condemnation": ((T.ACCUSE, None),),
    "demand": ((T.REQUEST, None),),
    "appeal": ((T.REQUEST, None),),
    "call": ((T.REQUEST, None),),
}

# Verbs that make a noun trigger an event ("conducted airstrikes", "launched an offensive",
# "gave an ultimatum", "clashes broke out"): the noun's event, the verb's subject its source.
CARRIER_VERBS = frozenset(
    {"conduct", "carry", "launch", "relaunch", "resume", "begin", "start", "stage", "mount",
     "order", "give", "issue", "set", "impose", "announce", "hold", "sign", "reach", "strike",
     "agree", "broker", "negotiate", "declare", "break", "erupt", "continue", "intensify",
     "escalate", "step", "send", "deliver", "arrive", "make", "lead", "call", "put", "open",
     "unleash", "renew", "deploy", "mass", "organise", "organize", "join", "take", "escort",
     "press", "push", "wage", "fight"}
)  # fmt: skip
# Prepositions that tie a noun trigger to the sentence ("under an evacuation deal").
CARRIER_PREPOSITIONS = frozenset({"under", "with", "amid", "after", "during", "in", "despite"})

# Words around an ASSAULT (or AID) that decide its mode; the first group that matches wins.
MODE_CUES: tuple[tuple[EventMode, frozenset[str]], ...] = (
    (M.SUICIDE, frozenset({"suicide"})),
    (M.AERIAL, frozenset(
        {"airstrike", "aircraft", "warplane", "jet", "drone", "helicopter", "air", "bomber",
         "aerial", "plane", "airstrikes"}
    )),
    (M.SHELLING, frozenset(
        {"shell", "shelling", "artillery", "rocket", "mortar", "missile", "bombardment"}
    )),
    (M.EXPLOSIVE, frozenset(
        {"ied", "landmine", "mine", "explosive", "bomb", "blast", "explosion", "grenade"}
    )),
    (M.ABDUCTION, frozenset({"kidnap", "abduct", "hostage", "abduction", "kidnapping"})),
    (M.CHEMICAL, frozenset({"chemical", "chlorine", "sarin", "gas"})),
    (M.FIREARMS, frozenset(
        {"clash", "fighting", "fight", "gunfire", "gunman", "offensive", "battle", "storm",
         "capture", "gun", "shoot", "firefight", "ground"}
    )),
)  # fmt: skip
AID_MODE_CUES: tuple[tuple[EventMode, frozenset[str]], ...] = (
    (M.EVACUATION, frozenset({"evacuate", "evacuation", "rescue"})),
    (M.MILITARY, frozenset({"weapon", "arm", "ammunition", "military"})),
    (M.ECONOMIC, frozenset({"money", "loan", "fund", "cash", "economic", "financial"})),
    (M.HUMANITARIAN, frozenset(
        {"aid", "convoy", "food", "medicine", "humanitarian", "relief", "supply", "assistance"}
    )),
)  # fmt: skip

del T, M
