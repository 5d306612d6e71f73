"""German: the language is chosen from the saved preference, the cookie or the browser; pages,
messages made in Python, dates and live pushes speak it; the catalogue covers every text."""

import re
import shutil
import subprocess
import sys
from datetime import datetime

import polib
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone, translation

from agentdesk.asgi import application
from agentdesk.desk import actions
from agentdesk.desk.contact import ContactOnScreen
from agentdesk.desk.forms import AddContactForm
from agentdesk.desk.presenters import contact_card
from agentdesk.language.models import LanguagePreference
from agentdesk.lcmsim.service import set_fault

from .conftest import ROOT
from .helpers import add_contact

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"
PO_FILE = ROOT / "agentdesk" / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def test_the_browser_language_chooses_german():
    page = Client(HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5").get("/accounts/login/")
    html = page.content.decode()
    assert '<html lang="de">' in html
    assert "<h1>Anmelden</h1>" in html and "Benutzername" in html and "Passwort" in html
    assert page["Content-Language"] == "de"
    assert "Accept-Language" in page["Vary"]

    english = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,en;q=0.8").get("/accounts/login/")
    assert '<html lang="en">' in english.content.decode()
    assert "<h1>Log in</h1>" in english.content.decode()


def test_a_request_in_german_leaves_the_thread_as_it_was():
    """The language is the request's only: whatever this thread runs next is not German."""
    assert translation.get_language() == "en"
    Client(HTTP_ACCEPT_LANGUAGE="de").get("/accounts/login/")
    assert translation.get_language() == "en"


def test_error_pages_are_german(agents):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(agents["alice"].user)
    missing = client.get("/imports/999999/")
    assert missing.status_code == 404
    assert "<h1>Nicht gefunden</h1>" in missing.content.decode()
    csrf = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    refused = csrf.post("/accounts/login/", {"username": "alice", "password": "x"})
    assert refused.status_code == 403 and "Seite abgelaufen" in refused.content.decode()


def test_a_failed_login_says_so_in_german(agents):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    page = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert "Benutzername und Passwort passen nicht zusammen" in page.content.decode()


def test_the_choice_is_saved_with_the_account_and_follows_the_user(agents):
    lead = agents["lead"]
    desk = Client(HTTP_ACCEPT_LANGUAGE="en")
    desk.force_login(lead)
    answer = desk.post("/language/", {"language": "de", "next": "/monitor/"})
    assert answer.status_code == 302 and answer["Location"] == "/monitor/"
    assert answer.cookies["django_language"].value == "de"
    assert LanguagePreference.objects.get(user=lead).language == "de"
    assert "Agenten jetzt" in desk.get("/monitor/", follow=True).content.decode()

    # Another machine, an English browser, no cookie: the saved choice wins after login.
    other = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "<h1>Log in</h1>" in other.get("/accounts/login/").content.decode()
    other.post("/accounts/login/", {"username": "lena", "password": "pw-for-tests-1"})
    monitor = other.get("/monitor/", follow=True).content.decode()
    assert '<html lang="de">' in monitor and "Warteschlangen (Kampagnengruppen)" in monitor

    # Back to English, and the account remembers that too.
    other.post("/language/", {"language": "en", "next": "/monitor/"})
    assert LanguagePreference.objects.get(user=lead).language == "en"
    assert "Agents now" in other.get("/monitor/", follow=True).content.decode()


def test_before_login_the_selector_sets_the_cookie_only():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answer = client.post("/language/", {"language": "de", "next": "/accounts/login/"})
    assert answer.status_code == 302
    assert "<h1>Anmelden</h1>" in client.get("/accounts/login/").content.decode()
    assert not LanguagePreference.objects.exists()
    # An unsafe "next" is not followed.
    away = client.post("/language/", {"language": "de", "next": "https://evil.example/"})
    assert away["Location"] == "/"


@pytest.mark.parametrize("value", ["fr", "", "de-XX-evil", "<b>de</b>"])
def test_the_selector_refuses_other_languages_and_names_the_field(agents, value):
    client = Client()
    client.force_login(agents["lead"])
    answer = client.post("/language/", {"language": value, "next": "/"})
    assert answer.status_code == 400
    assert answer.content.decode().startswith("language: choose one of en, de")
    assert not LanguagePreference.objects.exists()


def test_the_agent_page_is_german(agents):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(agents["alice"].user)
    html = client.get("/").content.decode()
    for text in [
        '<html lang="de">',
        "Nächster Kontakt <kbd>N</kbd>",
        "Reserviert <kbd>R</kbd>",
        "Kontakt hinzufügen",
        "Kampagnengruppe",
        "Einwilligung",
        "Meine letzten Kontakte",
        "Tastenkürzel:",
        "Kein Kontakt auf dem Bildschirm.",
        "Telefonnummern (mindestens eine)",
        '"live": "Live"',  # texts for the page's script
        '"connecting": "Verbinde \\u2026"',
    ]:
        assert text in html, text
    for english in ["Next contact", "Add contact", "My recent contacts", "Shortcuts:"]:
        assert english not in html, english


def test_messages_made_in_python_are_german(agents):
    alice = agents["alice"]
    with translation.override("de"):
        none = run_action(actions.next_contact(alice, campaign_group=SALES, consent="Both"))
        assert none.message.startswith(f"Zurzeit ist in {SALES} kein Kontakt verfügbar.")
        set_fault("down")
        try:
            down = run_action(actions.next_contact(alice, campaign_group=SALES, consent="Both"))
        finally:
            set_fault("none")
        assert down.message.startswith("LCM ist gerade nicht erreichbar.")
        form = AddContactForm({"campaign": ""}, campaigns=["Spring Renewals"])
        assert not form.is_valid()
        assert "Geben Sie mindestens einen Vor- oder Nachnamen an." in form.errors["last_name"]
        assert "Geben Sie mindestens eine Telefonnummer ein." in form.errors["mode1_number"]
        assert form.fields["first_name"].label == "Vorname"


def run_action(coroutine):
    import asyncio

    return asyncio.run(coroutine)


def test_dates_on_the_contact_card_are_german():
    now = timezone.make_aware(datetime(2026, 11, 22, 17, 0))
    data = ContactOnScreen(
        account_number="1|2|3|0|0|44|3",
        phone_number="2025550100",
        expiry_time="12/30/2026 23:59:00",
        consent="Yes",
    )
    with translation.override("de"):
        card = contact_card(data, now=now)
        assert card is not None
        assert card.expiry_text.startswith("Mi, 30. Dez 2026, 23:59 (in ")
        assert card.expiry_text.endswith(" Tagen)")
        assert card.consent_text == "Ja"
    with translation.override("en"):
        english = contact_card(data, now=now)
        assert english is not None
        assert english.expiry_text.startswith("Wed 30 Dec 2026, 23:59 (in ")


def _session_cookie(user, language_header: str) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"accept-language", language_header.encode()),
    ]


async def test_each_monitor_gets_live_pushes_in_its_own_language(agents):
    """Two leads' pages, one German, one English, watch one team; an agent working in English
    changes; each page gets the change in its own language."""
    await sync_to_async(add_contact)(phone="2025550177")
    team_id = agents["alice"].team_id
    pages = {}
    for language in ("de", "en"):
        headers = await sync_to_async(_session_cookie)(agents["lead"], language)
        page = WebsocketCommunicator(application, f"/ws/monitor/{team_id}/", headers=headers)
        connected, _ = await page.connect()
        assert connected
        pages[language] = (page, await page.receive_from(timeout=5))
    assert "Warteschlangen (Kampagnengruppen)" in pages["de"][1]
    assert "Queues (campaign groups)" in pages["en"][1]

    with translation.override("en"):
        result = await actions.next_contact(agents["alice"], campaign_group=SALES, consent="Both")
    assert result.ok and "is on your screen" in result.message
    german = await pages["de"][0].receive_from(timeout=5)
    english = await pages["en"][0].receive_from(timeout=5)
    assert "···0177" in german and "···0177" in english
    assert "Nächster Kontakt ···0177" in german and "Vorschau" in german
    assert "Next contact ···0177" in english and "previewing" in english
    assert "Next contact" not in german
    for page, _first in pages.values():
        await page.disconnect()


async def test_the_agent_socket_speaks_the_agents_language(agents):
    headers = await sync_to_async(_session_cookie)(agents["alice"].user, "de-DE")
    page = WebsocketCommunicator(application, "/ws/desk/", headers=headers)
    connected, _ = await page.connect()
    assert connected
    resync = await page.receive_from(timeout=5)
    assert "Nächster Kontakt" in resync and "Meine letzten Kontakte" in resync
    await page.send_to(text_data='{"action": "next", "campaign_group": "nope"}')
    answer = await page.receive_from(timeout=5)
    assert "Wählen Sie zuerst eine Ihrer Kampagnengruppen." in answer
    await page.disconnect()


# ---------------------------------------------------------------- the catalogue


def _entries(po) -> dict[tuple[str | None, str], object]:
    return {
        (e.msgctxt, e.msgid): (e.msgstr_plural if e.msgid_plural else e.msgstr)
        for e in po
        if not e.obsolete
    }


def test_every_text_has_a_german_translation(tmp_path):
    """Extract the texts of the code as it is now (makemessages on a copy) and require a
    German translation, not fuzzy, for each: a new text without one fails here."""
    assert shutil.which("xgettext"), "GNU gettext is needed: apt-get install gettext"
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(ROOT / "manage.py", copy)
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(
        ROOT / "agentdesk",
        copy / "agentdesk",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "AGENTDESK_DATA_DIR": str(tmp_path / "var")},
    )
    extracted = polib.pofile(str(copy / "agentdesk/locale/de/LC_MESSAGES/django.po"))
    missing = [
        f"{e.msgctxt + ': ' if e.msgctxt else ''}{e.msgid}"
        for e in extracted
        if not e.translated() or "fuzzy" in e.flags
    ]
    assert not missing, "texts without a German translation (see docs/translations.md):\n" + (
        "\n".join(missing)
    )


# Words that are the same in every language: the product's name, the contact API's field name.
NOT_TRANSLATED = {"agentdesk", "UserData"}


def untranslated_template_text(source: str) -> list[str]:
    """Words a user would read that are not inside {% translate %} / {% blocktranslate %}:
    text between tags, and title / aria-label / placeholder / alt / label attributes."""
    for pattern in [
        r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}",
        r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}",
        r"{%\s*block body_attrs\s*%}.*?{%\s*endblock\s*%}",  # attributes, not text
        r"{%.*?%}|{{.*?}}",
        r"<(code|kbd|script|style)\b.*?</\1>",  # field names, keys, code
    ]:
        source = re.sub(pattern, " ", source, flags=re.S | re.I)
    attributes = re.findall(
        r'\b(?:title|aria-label|placeholder|alt|label)="([^"]*[A-Za-z][^"]*)"', source
    )
    text = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    words = re.findall(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß'’]+", text)
    return [w for w in words if w not in NOT_TRANSLATED] + attributes


def test_templates_have_no_text_outside_translation_tags():
    problems = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "templates").glob("**/*.html"))
        if (found := untranslated_template_text(path.read_text()))
    }
    assert not problems, "wrap these in {% translate %} (docs/translations.md): " + str(problems)


def test_the_untranslated_text_check_finds_text():
    found = untranslated_template_text(
        '{% load i18n %}<p title="Click me">{% translate "Fine" %} Not fine <kbd>N</kbd></p>'
        "{% blocktranslate %}Also fine {{ x }}{% endblocktranslate %}<b>{{ value }}</b>"
    )
    assert found == ["Not", "fine", "Click me"]


def test_the_compiled_catalogue_matches_the_sources():
    """The committed .mo (what Django reads) is compiled from the committed .po."""
    po = polib.pofile(str(PO_FILE))
    mo = polib.mofile(str(MO_FILE))
    source = {key: value for key, value in _entries(po).items() if key[1]}
    compiled = {key: value for key, value in _entries(mo).items() if key[1]}
    assert compiled == source, "run compilemessages (docs/translations.md)"
    assert po.percent_translated() == 100


def test_placeholders_survive_translation():
    """A translation that drops or renames a %(name)s placeholder would fail at runtime."""
    placeholder = re.compile(r"%\(\w+\)[sdr]|%%")
    for entry in polib.pofile(str(PO_FILE)):
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(text)), (
                entry.msgid
            )
