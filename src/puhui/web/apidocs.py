"""The API reference, offline: Swagger UI from the vendored `swagger-ui-dist` assets under
/static/vendor (no CDN, so /docs works on a machine without internet), the OpenAPI document at
/openapi.json, and /favicon.ico. In production (`environment=production`) the reference and the
document are for signed-in staff only (the console's session or a bearer token); elsewhere they
are public, as a developer expects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from puhui.core.auth import ALL_STAFF, public, require_page
from puhui.core.web import UnitOfWorkRoute

VENDOR = "/static/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui.css"
FAVICON = "/static/favicon.ico"


def docs_router(*, production: bool, static_dir: Any) -> APIRouter:
    """The routes of the reference; `production` puts them behind a staff login."""
    guard = require_page(*ALL_STAFF) if production else public()
    router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)

    @router.get("/openapi.json", dependencies=[Depends(guard)])
    def openapi(request: Request) -> Response:
        return JSONResponse(request.app.openapi())

    @router.get("/docs", response_class=HTMLResponse, dependencies=[Depends(guard)])
    def docs(request: Request) -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{request.app.title} — API",
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url=FAVICON,
            # no badge fetched from validator.swagger.io: nothing leaves the machine
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": False},
        )

    @router.get("/favicon.ico", dependencies=[Depends(public())])
    def favicon() -> Response:
        return FileResponse(static_dir / "favicon.ico", media_type="image/x-icon")

    return router
