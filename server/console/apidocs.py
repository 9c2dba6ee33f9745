"""The server's API described for staff, behind sign-in and without any CDN (FastAPI's own
/docs and /redoc load scripts from the internet and are switched off in create_app)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from server.console.auth import Staff
from server.console.templating import render

router = APIRouter()
METHODS = ("get", "put", "post", "delete", "patch")


def _type_of(schema: dict[str, Any]) -> str:
    """A short readable type: ``string``, ``integer``, ``Step`` (a reference), ``a | b``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(_type_of(s) for s in schema[key])
    if schema.get("type") == "array":
        return f"{_type_of(schema.get('items', {}))}[]"
    return str(schema.get("type", "any"))


def _body_of(content: dict[str, Any] | None) -> str:
    """The schema of a body: its name for JSON, ``media type: name`` otherwise."""
    if not content:
        return ""
    return ", ".join(_type_of(c.get("schema", {})) if kind == "application/json"
                     else f"{kind}: {_type_of(c.get('schema', {}))}"
                     for kind, c in content.items())


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            found.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [{"name": p["name"], "in": p["in"],
                                "required": p.get("required", False),
                                "type": _type_of(p.get("schema", {}))}
                               for p in op.get("parameters", [])],
                "request": _body_of(op.get("requestBody", {}).get("content")),
                "responses": [(code, r.get("description", ""), _body_of(r.get("content")))
                              for code, r in op.get("responses", {}).items()],
            })
    return found


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request, staff: Staff) -> HTMLResponse:
    spec = request.app.openapi()
    schemas = {name: json.dumps(s, ensure_ascii=False, indent=2)
               for name, s in spec.get("components", {}).get("schemas", {}).items()}
    return render(request, "api.html", info=spec.get("info", {}), operations=operations(spec),
                  schemas=schemas)


@router.get("/openapi.json")
def openapi_json(request: Request, staff: Staff) -> JSONResponse:
    return JSONResponse(request.app.openapi())
