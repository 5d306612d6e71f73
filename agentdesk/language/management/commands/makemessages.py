"""`makemessages` that leaves a catalogue alone when no text or translation changed.

Django's command rewrites every `.po` file on each run: a new `POT-Creation-Date`, and the
wrapping, order and file references of msgmerge, even when the texts are the same. The
catalogue is also edited by hand (docs/translations.md), so on a clean checkout `make
messages` turned into a diff of more than a hundred lines that said nothing. Here each
catalogue is compared before and after by what it means (every entry's context, text,
plural, translations and whether it is fuzzy, read with polib): when that is unchanged, the
file is put back byte for byte; when a text was added, changed or dropped, msgmerge's file
is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.commands import makemessages

Meaning = frozenset[tuple[Any, ...]]


def meaning(path: Path) -> Meaning:
    """What a catalogue says, without its layout: one item per entry (obsolete ones too)."""
    return frozenset(
        (
            entry.msgctxt,
            entry.msgid,
            entry.msgid_plural,
            entry.msgstr,
            tuple(sorted(entry.msgstr_plural.items())),
            "fuzzy" in entry.flags,  # format flags are xgettext's guess, not a change
            entry.obsolete,
        )
        for entry in polib.pofile(str(path))
    )


def catalogues() -> list[Path]:
    roots = [Path(root) for root in settings.LOCALE_PATHS]
    return sorted(po for root in roots if root.is_dir() for po in root.glob("*/LC_MESSAGES/*.po"))


class Command(makemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        before = {path: (path.read_bytes(), meaning(path)) for path in catalogues()}
        super().handle(*args, **options)
        for path, (text, said) in before.items():
            if path.exists() and meaning(path) == said:
                path.write_bytes(text)  # nothing new to translate: no needless rewrite
