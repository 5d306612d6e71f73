"""The XML-in-a-string fields of CreateContact (`BussinessFields`, `Modes`, `ContactDetail`),
built and read with an XML library so no value can break or inject markup."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

from .errors import MessageError

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ContactMode:
    """One way to reach a contact: its mode name (Home, Mobile, Work…), number and time zone."""

    name: str
    number: str
    time_zone: str


def _check_name(name: str, field: str) -> str:
    if not isinstance(name, str) or not _XML_NAME.match(name) or name.lower().startswith("xml"):
        raise MessageError(field, f"{name!r} is not a valid field name (letters, digits, _ . -)")
    return name


def _clean_text(value: object) -> str:
    return _NOT_XML_CHAR.sub("", "" if value is None else str(value))


def build_fields_xml(fields: Mapping[str, object], field: str = "BussinessFields") -> str:
    """`<Data><first_name>…</first_name>…</Data>` from a mapping of field name to value."""
    root = ET.Element("Data")
    for name, value in fields.items():
        ET.SubElement(root, _check_name(name, field)).text = _clean_text(value)
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def build_modes_xml(modes: Iterable[ContactMode]) -> str:
    """`<Data><Home><Cvalue>…</Cvalue><TZ>…</TZ></Home>…</Data>`, one element per mode."""
    root = ET.Element("Data")
    count = 0
    for mode in modes:
        element = ET.SubElement(root, _check_name(mode.name, "Modes"))
        ET.SubElement(element, "Cvalue").text = _clean_text(mode.number)
        ET.SubElement(element, "TZ").text = _clean_text(mode.time_zone)
        count += 1
    if not count:
        raise MessageError("Modes", "at least one contact mode is required")
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def _parse(xml_text: str, field: str) -> ET.Element:
    if not isinstance(xml_text, str) or not xml_text.strip():
        raise MessageError(field, "is missing")
    try:
        root = SafeET.fromstring(xml_text)
    except Exception as exc:  # defusedxml raises several types for hostile or broken input
        raise MessageError(field, "is not well-formed XML") from exc
    return root


def parse_fields_xml(xml_text: str, field: str = "BussinessFields") -> dict[str, str]:
    if isinstance(xml_text, str) and not xml_text.strip():
        return {}
    root = _parse(xml_text, field)
    return {child.tag: (child.text or "") for child in root}


def parse_modes_xml(xml_text: str) -> list[ContactMode]:
    root = _parse(xml_text, "Modes")
    modes = []
    for element in root:
        number = (element.findtext("Cvalue") or "").strip()
        if not number:
            raise MessageError("Modes", f"mode {element.tag} has no Cvalue (phone number)")
        modes.append(ContactMode(element.tag, number, (element.findtext("TZ") or "").strip()))
    if not modes:
        raise MessageError("Modes", "at least one contact mode is required")
    return modes
