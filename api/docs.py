"""The API's docs pages, `/docs` (Swagger UI) and `/redoc`, with their scripts, styles and icon
served by this app under `/docs-assets` from the pinned `fastapi-offline` package: FastAPI's
own pages load them from a CDN, which a machine behind a firewall cannot reach (a blank page).
`/openapi.json` stays FastAPI's. The pages answer anyone, like the OpenAPI document they show;
Swagger UI's "Authorize" sends the key (Bearer or X-API-Key) with each "Try it out"."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
SWAGGER_UI_PARAMETERS = {
    **swagger_ui_default_parameters,
    "persistAuthorization": True,  # a key entered once survives a reload of the page
    "validatorUrl": None,  # else Swagger UI fetches a badge from validator.swagger.io
}


def add_docs(app: FastAPI) -> None:
    """Mount the assets and add the two pages (create the app with docs_url=None and
    redoc_url=None so FastAPI's CDN pages are not added too)."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,  # fonts.googleapis.com is another host
        )
