"""The report's JSON schema and JUnit XSD, each loaded and checked once per process.

``jsonschema.validate`` checks the schema against its metaschema on every call (0.2 s
for report.schema.json, most of the unit tests' time when they validated the report of
every shipped scenario that way): the tests validate with one prepared validator.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import xmlschema

from harness.report import SCHEMA_PATH

__all__ = ["JUNIT_XSD", "SCHEMA", "check_report"]

SCHEMA = json.loads(SCHEMA_PATH.read_text())
jsonschema.Draft202012Validator.check_schema(SCHEMA)  # the schema itself is valid
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMA_PATH.with_name("junit.xsd")))


def check_report(report: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``report`` matches report.schema.json."""
    _VALIDATOR.validate(report)
