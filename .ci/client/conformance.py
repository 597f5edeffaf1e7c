"""Checks a response the generated client received against the served OpenAPI document.

The generated models do not validate what they parse (`cast(str, ...)` accepts an integer, a
nullable-or-not field accepts null), so each response's JSON is also checked here against the
schema the document gives for that operation, status and media type. Only the JSON Schema
keywords finmatch's document uses are implemented: type, enum, $ref, oneOf, allOf, properties,
required, additionalProperties, propertyNames, items, minimum, maximum, minLength, maxLength,
pattern, and the formats date, date-time, int32 and int64.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class Document:
    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.ops: dict[str, dict[str, Any]] = {}
        for path, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    self.ops[op["operationId"]] = {"path": path, "method": method.upper(), **op}

    def resolve(self, ref: str) -> tuple[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref {ref} not supported")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return ref.rsplit("/", 1)[-1], node

    def response(self, op_id: str, status: int) -> dict[str, Any] | None:
        op = self.ops.get(op_id)
        if op is None:
            return None
        responses = op.get("responses", {})
        resp = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if resp is not None and "$ref" in resp:
            resp = self.resolve(resp["$ref"])[1]
        return resp

    def check_response(self, op_id: str, status: int, content_type: str | None, body: bytes) -> list[str]:
        """Mismatches between a response and the document, each a readable sentence."""
        op = self.ops.get(op_id)
        if op is None:
            return [f"the document has no operation {op_id}"]
        resp = self.response(op_id, status)
        if resp is None:
            return [f"{op_id}: status {status} is not documented (documented: {', '.join(op.get('responses', {}))})"]
        content = resp.get("content") or {}
        if not content:
            return (
                []
                if not body
                else [f"{op_id} {status}: the document declares no body, the server sent {len(body)} bytes"]
            )
        media = (content_type or "").split(";")[0].strip().lower()
        if media not in {k.lower() for k in content}:
            return [f"{op_id} {status}: content-type {content_type!r}, documented {', '.join(content)}"]
        schema = next(v for k, v in content.items() if k.lower() == media).get("schema")
        if schema is None or not (media.endswith("json")):
            return []
        try:
            value = json.loads(body)
        except ValueError as e:
            return [f"{op_id} {status}: the body is not JSON ({e})"]
        errors: list[str] = []
        self.validate(schema, value, "$", "response", errors)
        return [f"{op_id} {status}: {e}" for e in errors]

    # ---------------------------------------------------------------------------------------
    def validate(self, schema: Any, value: Any, where: str, name: str, errors: list[str]) -> None:
        """Append to errors every way `value` (at JSON path `where`) fails `schema` (`name`)."""
        if schema is True or schema == {}:
            return
        if schema is False:
            errors.append(f"{where}: not allowed by {name}")
            return
        if "$ref" in schema:
            ref_name, target = self.resolve(schema["$ref"])
            self.validate(target, value, where, ref_name, errors)
        for i, sub in enumerate(schema.get("allOf", [])):
            self.validate(sub, value, where, f"{name}.allOf[{i}]", errors)
        if "oneOf" in schema:
            passing = []
            failures = []
            for i, sub in enumerate(schema["oneOf"]):
                sub_errors: list[str] = []
                self.validate(sub, value, where, f"{name}.oneOf[{i}]", sub_errors)
                (failures if sub_errors else passing).append(sub_errors or i)
            if len(passing) != 1:
                detail = "; ".join(e for f in failures for e in f[:2])
                errors.append(
                    f"{where}: {short(value)} matches {len(passing)} of the {len(schema['oneOf'])} oneOf branches of {name}"
                    + (f" ({detail})" if detail else "")
                )
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(is_type(value, t) for t in types):
                errors.append(
                    f"{where}: {short(value)} is {json_type(value)}, the document says {name} is {'|'.join(types)}"
                )
                return
        if "enum" in schema and value not in schema["enum"]:
            enum = schema["enum"]
            shown = enum if len(enum) <= 12 else enum[:12] + ["…"]
            errors.append(f"{where}: {short(value)} is not one of {name}'s {len(enum)} enum values {shown}")
        fmt = schema.get("format")
        if isinstance(value, str):
            if fmt == "date" and not valid_date(value):
                errors.append(f"{where}: {value!r} is not a date (YYYY-MM-DD) as {name} says")
            if fmt == "date-time" and not valid_date_time(value):
                errors.append(f"{where}: {value!r} is not an RFC 3339 date-time as {name} says")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                errors.append(f"{where}: {value!r} does not match {name}'s pattern {schema['pattern']}")
            if "minLength" in schema and len(value) < schema["minLength"]:
                errors.append(f"{where}: {value!r} is shorter than {name}'s minLength {schema['minLength']}")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                errors.append(f"{where}: {short(value)} is longer than {name}'s maxLength {schema['maxLength']}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if fmt in INT_RANGES and isinstance(value, int):
                lo, hi = INT_RANGES[fmt]
                if not lo <= value <= hi:
                    errors.append(f"{where}: {value} is outside {fmt} ({name})")
            if "minimum" in schema and value < schema["minimum"]:
                errors.append(f"{where}: {value} is below {name}'s minimum {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                errors.append(f"{where}: {value} is above {name}'s maximum {schema['maximum']}")
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self.validate(schema["items"], item, f"{where}[{i}]", f"{name}.items", errors)
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for key in schema.get("required", []):
                if key not in value:
                    errors.append(f"{where}: the required field {key!r} of {name} is missing")
            for key, item in value.items():
                if key in props:
                    self.validate(props[key], item, f"{where}.{key}", f"{name}.{key}", errors)
                elif "additionalProperties" in schema:
                    self.validate(schema["additionalProperties"], item, f"{where}.{key}", f"{name}[*]", errors)
            if "propertyNames" in schema:
                for key in value:
                    self.validate(schema["propertyNames"], key, f"{where}{{key {key!r}}}", f"{name} key", errors)


def is_type(value: Any, t: str) -> bool:
    return {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(t, False)


def json_type(value: Any) -> str:
    for t in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if is_type(value, t):
            return t
    return type(value).__name__


def short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def valid_date(s: str) -> bool:
    if not DATE.match(s):
        return False
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


def valid_date_time(s: str) -> bool:
    if not DATE_TIME.match(s):
        return False
    try:
        dt.datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        return False
    return True
