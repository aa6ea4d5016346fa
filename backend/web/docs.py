"""The API's browsable documentation, ``/docs`` (Swagger UI), served wholly from this
installation: it works on a club laptop without internet, and its page runs under the
same Content Security Policy as every response, which names no other origin and allows
no inline script or style.

FastAPI's own pages load Swagger UI from a CDN and start it with an inline script. Here
the assets come from the ``fastapi-offline`` package (which ships a current Swagger UI
build), and Swagger UI is started by a script served from ``/docs/swagger-init.js``.
There is no ``/redoc``: ReDoc would load its logo from its own CDN and run its search in a
worker made from a blob, for a second view of the same document. ``create_app`` includes
this router only when ``Settings.serves_api_docs``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from backend.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS = Path(str(files("fastapi_offline") / "static"))
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
# The security headers, the Content Security Policy included, are every response's
# (backend/ops/observer.py).
HEADERS = {"Cache-Control": "no-cache"}

SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Touchline API</title>
<link rel="icon" href="/docs/favicon.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
"""
# FastAPI's defaults, less the validator badge (an image from swagger.io).
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE, headers=HEADERS)


@router.get("/docs/swagger-init.js")
def swagger_init() -> Response:
    return Response(SWAGGER_INIT, media_type="text/javascript", headers=HEADERS)


@router.get("/docs/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSET_TYPES:
        raise NotFound("file")
    return FileResponse(ASSETS / name, media_type=ASSET_TYPES[name], headers=HEADERS)
