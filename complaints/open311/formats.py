"""Open311's two formats: one document, written as XML (required by the specification) or as
JSON (its programmatic mapping).

A document is plain data: a list (services, service requests, errors, updates) or a dict
(a service definition, discovery), whose values are strings, numbers, booleans, None, lists
and dicts. In JSON it is written as it is: lists become top-level arrays and None is null. In
XML it sits under its root element; each list item gets the element name the specification
gives for that list (`<services><service>…`, `<attributes><attribute>…`), None is an empty
element and booleans are `true`/`false`. XML is built with ElementTree, which escapes the
text; characters XML 1.0 cannot carry at all are dropped.
"""

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {
    XML: "text/xml; charset=utf-8",
    JSON: "application/json; charset=utf-8",
}
# The media types discovery advertises.
MEDIA_TYPES = ("text/xml", "application/json")

# A list's element → the element of each of its items, as the specification names them.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# What XML 1.0 cannot hold, even escaped: C0 controls other than tab, newline and carriage
# return, lone surrogates, and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(document: Any, *, root: str, fmt: str, status: int = 200) -> HttpResponse:
    """The document as an HTTP response in `fmt` (xml or json), with Open311's content type."""
    if fmt == JSON:
        body = json.dumps(document, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    else:
        body = to_xml(document, root=root)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def to_xml(document: Any, *, root: str) -> bytes:
    element = Element(root)
    _fill(element, root, document)
    return XML_DECLARATION + tostring(element, encoding="utf-8", xml_declaration=False)


def _fill(element: Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), key, item)
    elif isinstance(value, list | tuple):
        item_name = ITEM_ELEMENTS[name]
        for item in value:
            _fill(SubElement(element, item_name), item_name, item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))
