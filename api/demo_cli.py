"""`wirecoder demo`: a first try that works in seconds, with no model to build.

It POSTs the seed articles (and two gold articles whose events the rules leave to the model)
to a running service on the replay backend, exactly as tests/e2e posts them, which is how
their model answers were recorded: every extraction shown is real, and the articles asking
the model get the answer it really gave. It prints one line per article and the URLs to look
at. Start the service first: `WIRECODER_LLM_BACKEND=replay ./scripts/serve.sh`.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx2
import typer

# tests/e2e/test_seed_articles_recorded.py posts these; the last two ask the model (v3)
DEMO_CASES = (
    "seed-000-baghouz-timeline-expires",
    "seed-003-manbij-offer-ignored",
    "seed-004-raqa-final-phase",
    "syria-idlib-market-strikes-denied",
    "ukraine-kharkiv-rockets-injection",
)
START_REPLAY = "WIRECODER_LLM_BACKEND=replay ./scripts/serve.sh"
TITLE_CHARS = 58


def demo_articles() -> list[dict[str, Any]]:
    """The POST bodies, field for field as the recordings were made."""
    from evals.gold import load_gold

    cases = {case.id: case for case in load_gold()}
    return [
        {
            "text": cases[case_id].text,
            "title": cases[case_id].title,
            "source": cases[case_id].source,
            "published_at": cases[case_id].published_at.isoformat(),
            "dateline": cases[case_id].dateline,
        }
        for case_id in DEMO_CASES
    ]


def open_client(url: str, api_key: str | None, wait_s: float) -> httpx2.Client:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx2.Client(base_url=url, headers=headers, timeout=wait_s + 30)


class DemoRefused(Exception):
    """The service cannot run the demo: unreachable, not on replay, or it wants a key."""


def check_replay(client: httpx2.Client) -> dict[str, Any]:
    """The service's /health, if it answers and runs the replay backend."""
    try:
        response = client.get("/health")
    except httpx2.TransportError as error:
        raise DemoRefused(
            f"no wirecoder service answers at {client.base_url} ({type(error).__name__}). "
            f"Start one on the replay backend: {START_REPLAY}"
        ) from error
    health: dict[str, Any] = response.json() if response.status_code == 200 else {}
    backend = health.get("backend")
    if backend != "replay":
        raise DemoRefused(
            f"the service at {client.base_url} runs the {backend or 'unknown'} backend; the "
            "demo replays recorded model answers and needs the replay backend: stop it and "
            f"start {START_REPLAY} (or POST an article yourself: README, 'Using the API')"
        )
    return health


def submit(client: httpx2.Client, article: dict[str, Any], wait_s: float) -> dict[str, Any]:
    try:
        response = client.post("/v1/articles", params={"wait": wait_s}, json=article)
    except httpx2.TransportError as error:
        raise DemoRefused(
            f"the service at {client.base_url} stopped answering ({type(error).__name__}: {error})"
        ) from error
    if response.status_code in (401, 403):
        raise DemoRefused(
            f"the service wants an API key with the write scope ({response.json()['detail']}): "
            "`wirecoder keys create --name demo --scope write`, then --api-key"
        )
    if response.status_code not in (200, 202):
        raise DemoRefused(f"POST /v1/articles answered {response.status_code}: {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


def _row(cells: list[object]) -> str:
    widths = (4, 10, 7, 7, 7, 12)
    numbers = "".join(f"{cell!s:>{width}}" for cell, width in zip(cells[:6], widths, strict=True))
    return f"{numbers}  {cells[6]}"


def report(url: str, titles: list[str], answers: list[dict[str, Any]]) -> list[str]:
    """The table of what each article gave, its failures' reasons, and where to look."""
    lines = [_row(["id", "status", "events", "actors", "quotes", "model calls", "article"])]
    problems = []
    for title, answer in zip(titles, answers, strict=True):
        job, extraction = answer["job"], answer.get("extraction")
        counts: list[object] = ["-"] * 3
        if extraction:
            counts = [len(extraction[kind]) for kind in ("events", "actors", "quotes")]
        shown = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
        lines.append(_row([answer["article_id"], job["status"], *counts, job["attempts"], shown]))
        if job["status"] != "succeeded":
            reason = job.get("error") or f"still {job['status']}: see {url}{job['url']}"
            problems.append(f"  article {answer['article_id']}: {reason}")
    if problems:
        lines += ["", "Not extracted:", *problems]
    lines += ["", "Look at:"]
    lines += [f"  {url}/articles/{a['article_id']}/view" for a in answers]
    lines += [
        f"  {url}/v1/articles/{answers[0]['article_id']}   (JSON: events, actors, quotes, job)",
        f"  {url}/v1/events/export?format=csv   (every event, ACLED-style columns)",
        f"  {url}/docs   (every operation; 'Try it out')",
    ]
    return lines


def demo(
    url: Annotated[str, typer.Option(help="The running service")] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option(help="A key with the write scope, where the service wants one")
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for each extraction")] = 120.0,
) -> None:
    """POST the seed articles to a service on the replay backend (as their model answers were
    recorded) and print what was extracted, with the URLs to look at. Start the service with
    WIRECODER_LLM_BACKEND=replay ./scripts/serve.sh."""
    url = url.rstrip("/")
    articles = demo_articles()
    with open_client(url, api_key, wait) as client:
        try:
            health = check_replay(client)
            typer.echo(
                f"wirecoder demo: {len(articles)} articles to {url} (replay backend, prompt "
                f"{health.get('prompt')}, recorded answers of {health.get('model')})\n"
            )
            answers = [submit(client, article, wait) for article in articles]
        except DemoRefused as refused:
            typer.echo(f"wirecoder demo: {refused}", err=True)
            raise typer.Exit(2) from None
    typer.echo("\n".join(report(url, [a["title"] for a in articles], answers)))
    if any(a["job"]["status"] != "succeeded" for a in answers):
        raise typer.Exit(1)
