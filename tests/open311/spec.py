"""The GeoReport v2 documents as the spec describes them: JSON Schemas (schemas/), and the
XML form read back into the JSON form the same schemas check (written here from the spec,
independently of portal/open311)."""

import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parent / "schemas"

# Elements whose children are a list (the spec's containers), and the typed leaves.
LISTS = {"services", "service_requests", "errors", "endpoints", "formats", "attributes", "values"}
BOOLEANS = {"metadata", "variable", "required"}
INTEGERS = {"order", "code"}  # "code" is an integer in errors only (see below)
NUMBERS = {"lat", "long"}


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def validate(document, name: str) -> None:
    """Raises jsonschema.ValidationError when `document` breaks the spec's shape."""
    jsonschema.validate(document, schema(name), cls=jsonschema.Draft202012Validator)


def _leaf(tag: str, text: str | None, in_errors: bool):
    if text is None or text == "":
        return None
    if tag in BOOLEANS:
        assert text in ("true", "false"), (tag, text)
        return text == "true"
    if tag == "order" or (tag == "code" and in_errors):
        return int(text)
    if tag in NUMBERS:
        return float(text)
    return text


def _element(element: ET.Element, in_errors: bool):
    if element.tag in LISTS:
        return [_element(child, in_errors) for child in element]
    if len(element):
        return {child.tag: _element(child, in_errors) for child in element}
    return _leaf(element.tag, element.text, in_errors)


def from_xml(body: bytes):
    """An XML document of the spec as its JSON form (lists, booleans, numbers, nulls)."""
    root = ET.fromstring(body)
    return _element(root, root.tag == "errors")
