"""Open311 answers in JSON or XML, and the spec's error lists."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Response

FORMATS = ("json", "xml")
Record = Mapping[str, Any]
"""One service, request or error: field name -> str, int, bool, None or a list of str."""


class Open311Error(Exception):
    """Answered as the spec's error list with this HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def render(fmt: str, root: str, item: str, records: Sequence[Record], status: int = 200
           ) -> Response:
    """A list of records: a JSON array, or ``<root><item>…</item>…</root>``."""
    if fmt == "xml":
        top = ET.Element(root)
        for record in records:
            _fill(ET.SubElement(top, item), record)
        body = ET.tostring(top, encoding="unicode")
        return Response(f'<?xml version="1.0" encoding="utf-8"?>\n{body}', status_code=status,
                        media_type="text/xml; charset=utf-8")
    return Response(json.dumps(list(records), ensure_ascii=False), status_code=status,
                    media_type="application/json")


def render_one(fmt: str, root: str, record: Record) -> Response:
    """A single object (a service definition): a JSON object or ``<root>…</root>``."""
    if fmt == "xml":
        top = ET.Element(root)
        _fill(top, record)
        body = ET.tostring(top, encoding="unicode")
        return Response(f'<?xml version="1.0" encoding="utf-8"?>\n{body}',
                        media_type="text/xml; charset=utf-8")
    return Response(json.dumps(record, ensure_ascii=False), media_type="application/json")


def error(fmt: str, status: int, description: str) -> Response:
    """The spec's error format: ``[{"code": …, "description": …}]`` or
    ``<errors><error><code>…</code><description>…</description></error></errors>``."""
    return render(fmt if fmt in FORMATS else "json", "errors", "error",
                  [{"code": status, "description": description}], status)


def _fill(element: ET.Element, record: Record) -> None:
    for name, value in record.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list | tuple):
            child.text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)
