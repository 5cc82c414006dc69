"""A scripted OpenAI-compatible server (httpx2.MockTransport) behind the real openai + instructor
client, for testing mechanics: transport retries, re-asks, usage, record/replay.

Its answers are written here by hand: they test mechanics only, are never stored as recordings
(a test that records writes only into its own tmp_path) and never count as quality.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from schemas.contract import ArticleInput

FAKE_MODEL = "scripted-test-model"
FAKE_BASE_URL = "http://model.test/v1"
FAKE_API_KEY = "sk-test-secret-do-not-store"

# Written for these tests (not a real article).
ARTICLE_TEXT = (
    "KAFR NABL, Syria\n\n"
    "Rebel fighters shelled government positions near Kafr Nabl on Sunday, a monitoring "
    "group said.\n\n"
    "\u201cWe will not leave our homes,\u201d said Abu Khaled, a commander of the Free Army."
)
ARTICLE = ArticleInput(text=ARTICLE_TEXT, title="Shelling near Kafr Nabl", dateline="KAFR NABL")


def good_answer() -> dict[str, Any]:
    return {
        "actors": [
            {"name": "Free Army", "aliases": ["Rebel fighters"], "kind": "armed_group"},
            {"name": "Abu Khaled", "kind": "person", "affiliation": "Free Army"},
            {"name": "government", "kind": "state"},
        ],
        "events": [
            {
                "event_type": "ASSAULT",
                "mode": "shelling",
                "status": "claimed",
                "sources": ["Rebel fighters"],
                "targets": ["government"],
                "summary": "Rebels shelled government positions near Kafr Nabl.",
                "date_text": "on Sunday",
                "evidence": "Rebel fighters shelled government positions near Kafr Nabl on "
                "Sunday, a monitoring group said.",
            }
        ],
        "quotes": [
            {
                "text": "We will not leave our homes,",
                "kind": "direct",
                "speaker": "Abu Khaled",
                "speaker_mention": "Abu Khaled",
                "cue": "said",
            }
        ],
    }


def invented_quote_answer() -> dict[str, Any]:
    answer = good_answer()
    answer["quotes"][0]["text"] = "We will fight until victory"
    return answer


def tool_call_completion(
    arguments: dict[str, Any], *, prompt_tokens: int, completion_tokens: int, n: int = 1
) -> dict[str, Any]:
    """A chat completion as an OpenAI-compatible server returns it for a forced tool call."""
    return {
        "id": f"chatcmpl-scripted-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000 + n,
        "model": FAKE_MODEL,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "logprobs": None,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{n}",
                            "type": "function",
                            "function": {
                                "name": "ArticleExtraction",
                                "arguments": json.dumps(arguments, ensure_ascii=False),
                            },
                        }
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Reply = httpx2.Response | Exception


@dataclass
class ScriptedServer:
    """Answers POST /chat/completions with the scripted replies in order (the last one
    repeats), and keeps every request body it was sent."""

    replies: deque[Callable[[], Reply]] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def then(self, reply: Callable[[], Reply]) -> ScriptedServer:
        self.replies.append(reply)
        return self

    def answer(self, arguments: dict[str, Any], prompt: int = 900, completion: int = 200):
        n = len(self.replies) + 1
        return self.then(
            lambda: httpx2.Response(
                200,
                json=tool_call_completion(
                    arguments, prompt_tokens=prompt, completion_tokens=completion, n=n
                ),
            )
        )

    def first_choices(self) -> ScriptedServer:
        """Answer each enum field of the request's tool with its first allowed value."""

        def reply() -> Reply:
            tool = self.requests[-1]["tools"][0]["function"]["parameters"]
            arguments = {k: p["enum"][0] for k, p in tool["properties"].items() if "enum" in p}
            completion = tool_call_completion(arguments, prompt_tokens=900, completion_tokens=20)
            return httpx2.Response(200, json=completion)

        return self.then(reply)

    def status(self, code: int, headers: dict[str, str] | None = None) -> ScriptedServer:
        body = {"error": {"message": f"scripted {code}", "type": "server_error"}}
        return self.then(lambda: httpx2.Response(code, json=body, headers=headers or {}))

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self._handle)

    def _handle(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path.endswith("/chat/completions"), request.url
        self.requests.append(json.loads(request.read()))
        self.headers.append(dict(request.headers))
        reply = (self.replies.popleft() if len(self.replies) > 1 else self.replies[0])()
        if isinstance(reply, Exception):
            raise reply
        return reply


def no_network() -> httpx2.MockTransport:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise AssertionError(f"unexpected network call to {request.url}")

    return httpx2.MockTransport(refuse)
