"""The article view in a real browser: Playwright (pytest-playwright) driving Debian's chromium
against the app on a real server, seed article 004 extracted on the replay backend (the local
model's recorded answers, posted as `wirecoder demo` posts it).

Skipped where chromium is not installed, except under CI=true, where that is an error
(scripts/test.sh installs it). The tests run in file order on one server: those that only
read use the model's version (`?version=model`, which reviews never change), then the
corrections are made through the page's own controls and read back from the JSON API.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.config import LLMBackend, Settings
from api.demo_cli import DEMO_CASES, demo_articles
from api.main import create_app
from tests.api.serving import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path("/tmp/wirecoder-view-seed004.png")  # kept after the run, to look at


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, with Debian's chromium (Playwright's own browser
    download is not reachable here)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install chromium")
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a free port with seed 004 extracted: its URLs and the model's extraction."""
    tmp = tmp_path_factory.mktemp("view-browser")
    settings = Settings(
        _env_file=None,
        data_dir=tmp,
        database_url="",
        dbos_database_url="",
        llm_backend=LLMBackend.REPLAY,
    )
    body = demo_articles()[DEMO_CASES.index("seed-004-raqa-final-phase")]
    with serve(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as api:
        posted = api.post("/v1/articles", params={"wait": 120}, json=body, timeout=150)
        assert posted.status_code == 200 and posted.json()["job"]["status"] == "succeeded"
        article_id = posted.json()["article_id"]
        yield {
            "base": base_url,
            "api": api,
            "article": article_id,
            "view": f"{base_url}/articles/{article_id}/view",
            "model": posted.json()["extraction"],
        }


def _actor(extraction: dict[str, Any], name: str) -> int:
    found: int = next(a["id"] for a in extraction["actors"] if a["name"] == name)
    return found


def _event(extraction: dict[str, Any], event_type: str, evidence_start: str) -> dict[str, Any]:
    return next(
        e
        for e in extraction["events"]
        if e["event_type"] == event_type and e["evidence"].startswith(evidence_start)
    )


def _classes(page: Page, selector: str) -> list[list[str]]:
    found: list[list[str]] = page.eval_on_selector_all(
        selector, "els => els.map(e => [...e.classList])"
    )
    return found


def _outline(page: Page, selector: str) -> str:
    style: str = page.eval_on_selector(selector, "e => getComputedStyle(e).outlineStyle")
    return style


def test_an_event_lights_up_its_evidence_sources_targets_and_place(
    page: Page, served: dict[str, Any]
) -> None:
    model = served["model"]
    page.goto(f"{served['view']}?version=model")
    assault = _event(model, "ASSAULT", "Commanders said")
    sdf = _actor(model, "Syrian Democratic Forces")
    assert [s["actor_id"] for s in assault["sources"]] == [sdf]
    button = page.locator(f"#event-{assault['id']} .pick")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.url.endswith(f"#event-{assault['id']}")
    evidence = _classes(page, f'.text [data-ev~="{assault["id"]}"]')
    assert evidence and all("sel-evidence" in c for c in evidence)
    sources = _classes(page, f'.text [data-a~="{sdf}"]')
    assert len(sources) >= 3 and all("sel-source" in c for c in sources)
    assert _outline(page, ".text .sel-source") == "solid"
    place = _classes(page, f'.text [data-pl~="{assault["id"]}"]')
    assert place and all("sel-place" in c for c in place)
    assert page.inner_text(f'.text [data-pl~="{assault["id"]}"]') == "Raqa"
    # nothing of another item is lit: no target here, no other event's evidence alone
    assert page.locator(".text .sel-target").count() == 0
    expect(page.locator("#selection")).to_contain_text("source mention(s)")

    # an event with a target: a different style from a source's
    concede = _event(model, "CONCEDE", "The RCC on Sunday")
    islamic_state = _actor(model, "Islamic State")
    page.locator(f"#event-{concede['id']} .pick").click()
    targets = _classes(page, f'.text [data-a~="{islamic_state}"]')
    assert targets and all("sel-target" in c for c in targets)
    assert page.locator(".text .sel-source").count() == 0
    assert _outline(page, ".text .sel-target") == "dashed"


def test_a_quote_lights_up_its_speaker_and_cue(page: Page, served: dict[str, Any]) -> None:
    model = served["model"]
    quote = next(q for q in model["quotes"] if q["text"].startswith("Our stance"))
    dillon = _actor(model, "Ryan Dillon")
    assert quote["speaker_actor_id"] == dillon
    page.goto(f"{served['view']}?version=model")
    page.locator(f"#quote-{quote['id']} .pick").click()
    spans = _classes(page, f'.text [data-q~="{quote["id"]}"]')
    assert spans and all("sel-quote" in c for c in spans)
    speaker = _classes(page, f'.text [data-a~="{dillon}"]')
    assert speaker and all("sel-speaker" in c for c in speaker)
    cue = page.locator(".text .sel-cue")
    assert cue.count() == 1 and cue.inner_text() == "said"
    assert page.locator(".text .sel-evidence").count() == 0


def test_the_keyboard_selects_and_a_hash_links_a_selection(
    page: Page, served: dict[str, Any]
) -> None:
    model = served["model"]
    page.goto(f"{served['view']}?version=model")
    page.keyboard.press("Tab")  # the first stop is the skip link, and it shows
    skip = page.locator("a.skip").first
    expect(skip).to_be_focused()
    assert skip.bounding_box() is not None and skip.bounding_box()["x"] >= 0  # type: ignore[index]
    quote = model["quotes"][2]
    button = page.locator(f"#quote-{quote['id']} .pick")
    button.focus()
    assert _outline(page, f"#quote-{quote['id']} .pick") != "none"  # visible focus
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.locator(".text .sel-quote").count() > 0
    event = model["events"][0]
    other = page.locator(f"#event-{event['id']} .pick")
    other.focus()
    page.keyboard.press(" ")
    expect(other).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Escape")
    assert page.locator(".text .sel").count() == 0
    # a link with the hash opens with that item selected; a mention links to its actor
    page.goto(f"{served['view']}?version=model#event-{event['id']}")
    expect(other).to_have_attribute("aria-pressed", "true")
    sdf = _actor(model, "Syrian Democratic Forces")
    page.locator(f'.text a[data-a~="{sdf}"]').first.click()
    expect(page.locator(f"#actor-{sdf} .pick")).to_have_attribute("aria-pressed", "true")
    assert all("sel-actor" in c for c in _classes(page, f'.text [data-a~="{sdf}"]'))


def test_filters_by_type_status_and_kind(page: Page, served: dict[str, Any]) -> None:
    model = served["model"]
    page.goto(f"{served['view']}?version=model")
    page.select_option("#f-type", "ASSAULT")
    visible = page.locator('.item[data-item="event"]:visible')
    expected = [e for e in model["events"] if e["event_type"] == "ASSAULT"]
    expect(visible).to_have_count(len(expected))
    assert "type=ASSAULT" in page.url
    page.select_option("#f-status", "asserted")
    both = [e for e in expected if e["status"] == "asserted"]
    expect(visible).to_have_count(len(both))
    page.select_option("#f-kind", "direct")
    direct = [q for q in model["quotes"] if q["kind"] == "direct"]
    expect(page.locator('.item[data-item="quote"]:visible')).to_have_count(len(direct))
    page.select_option("#f-type", "")
    page.select_option("#f-status", "")
    expect(visible).to_have_count(len(model["events"]))


def test_the_page_reads_and_corrects_without_javascript(
    browser: Browser, served: dict[str, Any]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served["view"])
    events = page.locator('.item[data-item="event"]')
    expect(events).to_have_count(len(served["model"]["events"]))
    first = served["model"]["events"][0]
    expect(events.first).to_contain_text(first["evidence"][:60])
    expect(events.first.locator("dd.role-source")).to_have_text(
        ", ".join(s["name"] for s in first["sources"])
    )
    # a correction as a plain form: the server stores it and sends the page back (303)
    quote = next(q for q in _served(served)["quotes"] if q["text"].startswith("This is a local"))
    item = page.locator(f"#quote-{quote['id']}")
    item.locator("summary").click()
    item.locator("select[name=kind]").select_option("partial")
    item.locator('form[data-op="update_quote"] textarea[name=note]').fill("a fragment")
    item.locator('form[data-op="update_quote"] button[type=submit]').click()
    expect(page.locator(".notice")).to_contain_text("Correction stored")
    assert "?saved=" in page.url
    stored = served["api"].get(f"/v1/articles/{served['article']}").json()["extraction"]
    assert stored["version"] == "reviewed"
    kinds = {q["text"]: q["kind"] for q in stored["quotes"]}
    assert kinds[quote["text"]] == "partial"
    context.close()


def _served(served: dict[str, Any]) -> dict[str, Any]:
    extraction: dict[str, Any] = (
        served["api"].get(f"/v1/articles/{served['article']}").json()["extraction"]
    )
    return extraction


def _submit(page: Page, item: str, op: str) -> None:
    """Submit the item's `op` form, and wait for the page the stored review sends back."""
    with page.expect_navigation(url="**/view?saved=*"):
        page.locator(f'{item} form[data-op="{op}"] button[type=submit]').click()


def test_corrections_through_the_controls_are_stored(
    page: Page, served: dict[str, Any], tmp_path: Path
) -> None:
    page.goto(served["view"])
    # 1. an event's type: CONCEDE (denied) is really the RCC rejecting the claim
    concede = _event(_served(served), "CONCEDE", "The RCC on Sunday")
    item = f"#event-{concede['id']}"
    page.locator(f"{item} summary").click()
    page.locator(f'{item} form[data-op="update_event"] select[name=event_type]').select_option(
        "REJECT"
    )
    page.locator(f'{item} form[data-op="update_event"] textarea[name=note]').fill("a denial")
    _submit(page, item, "update_event")
    after = _served(served)
    assert after["version"] == "reviewed" and after["review"]["note"] == "a denial"
    rcc = [e for e in after["events"] if e["evidence"].startswith("The RCC on Sunday")]
    assert sorted(e["event_type"] for e in rcc) == ["REJECT", "REJECT"]

    # 2. a quote's speaker: "final phase" was said by the US-backed forces, not IS
    quote = next(q for q in after["quotes"] if q["text"] == "final phase")
    assert quote["speaker"] == "Islamic State"
    item = f"#quote-{quote['id']}"
    page.locator(f"{item} summary").click()
    page.locator(f"{item} select[name=speaker]").select_option("Syrian Democratic Forces")
    _submit(page, item, "update_quote")
    after = _served(served)
    quote = next(q for q in after["quotes"] if q["text"] == "final phase")
    assert quote["speaker"] == "Syrian Democratic Forces"

    # 3. a junk actor: gone, with its roles
    civilians = _actor(after, "civilians")
    item = f"#actor-{civilians}"
    page.locator(f"{item} summary").click()
    _submit(page, item, "delete_actor")
    after = _served(served)
    assert "civilians" not in {a["name"] for a in after["actors"]}
    assert all(t["name"] != "civilians" for e in after["events"] for t in e["targets"])
    expect(page.locator(".version")).to_contain_text("reviewed")

    # a refused correction says why on the page and stores nothing
    event = after["events"][0]
    item = f"#event-{event['id']}"
    page.locator(f"{item} summary").click()
    page.locator(f'{item} form[data-op="update_event"] input[name=date]').fill("2030-01-01")
    page.locator(f'{item} form[data-op="update_event"] button[type=submit]').click()
    error = page.locator(f'{item} form[data-op="update_event"] .form-error')
    expect(error).to_contain_text("Not stored (422)")
    assert _served(served)["job"]["id"] == after["job"]["id"]

    # what it looks like, with an event selected
    page.goto(served["view"])
    assault = _event(after, "ASSAULT", "Commanders said")
    page.locator(f"#event-{assault['id']} .pick").click()
    for path in (tmp_path / "view.png", SCREENSHOT):
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
