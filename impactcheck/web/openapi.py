"""The OpenAPI 3.1 document of the JSON API, generated from the code: every API route is registered
through `Api.route`, which records its method, path, parameters and pydantic bodies; `document()`
turns the records and the models' JSON schemas into the document served at /api/v1/openapi.json."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel

from impactcheck.web.api_schema import Problem

ERRORS = {
    400: "Malformed request (not JSON, wrong fields)",
    401: "No valid token or login",
    403: "The role may not do this",
    404: "No such check for this user",
    409: "Not possible in the check's state (submitted already, blockers)",
    412: "If-Match names an older version of the draft",
    422: "Answers or fields that do not pass (errors lists them)",
    428: "If-Match is required on writes to a draft",
}


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    where: str = "query"


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask's, e.g. /checks/<int:check_id>
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    params: tuple[Param, ...]
    etag: bool  # the response carries an ETag
    if_match: bool  # the request must name the version it changes (If-Match)
    public: bool


class Api:
    """A blueprint whose routes are also the OpenAPI document's operations."""

    def __init__(self, blueprint: Blueprint, title: str, version: str):
        self.blueprint = blueprint
        self.title = title
        self.version = version
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        params: tuple[Param, ...] = (),
        etag: bool = False,
        if_match: bool = False,
        public: bool = False,
    ):
        def register(view):
            errs = (*errors, 412, 428) if if_match else errors
            self.operations.append(
                Operation(method, rule, summary, body, response, status, errs, params, etag, if_match, public)
            )
            self.blueprint.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
            view.api_public = public
            return view

        return register

    def document(self, prefix: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {}

        def ref(model: type[BaseModel]) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        problem = {"application/problem+json": {"schema": ref(Problem)}}
        paths: dict[str, Any] = {}
        for op in self.operations:
            path, path_params = _openapi_path(prefix + op.rule)
            entry: dict[str, Any] = {
                "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', op.rule.lower()).strip('_')}",
                "summary": op.summary,
                "parameters": [
                    *path_params,
                    *(
                        {"name": p.name, "in": p.where, "description": p.description, "schema": p.schema}
                        for p in op.params
                    ),
                ],
                "responses": {},
            }
            if op.if_match:
                entry["parameters"].append(
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "description": "The ETag of the check as last read",
                        "schema": {"type": "string"},
                    }
                )
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
            ok: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
            if op.response is not None:
                ok["content"] = {"application/json": {"schema": ref(op.response)}}
            else:
                ok["content"] = {"application/json": {"schema": {"type": "object"}}}
            if op.etag:
                ok["headers"] = {"ETag": {"description": "The version of the check", "schema": {"type": "string"}}}
            entry["responses"][str(op.status)] = ok
            for code in sorted({*op.errors, *(() if op.public else (401,))}):
                entry["responses"][str(code)] = {"description": ERRORS[code], "content": problem}
            if op.public:
                entry["security"] = []
            paths.setdefault(path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {
                "title": self.title,
                "version": self.version,
                "description": "Klimachecks lesen, anlegen, beantworten und einreichen. Fehlermeldungen auf Deutsch, "
                "als application/problem+json.",
            },
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "token": {"type": "http", "scheme": "bearer", "description": "Token von „API-Tokens“"},
                    "session": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "session",
                        "description": "Browser-Anmeldung; Schreibzugriffe brauchen X-CSRFToken",
                    },
                },
            },
            "security": [{"token": []}, {"session": []}],
        }


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(replace, rule), params
