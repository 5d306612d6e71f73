"""A team lead uploads a CSV of a few hundred contacts and watches the progress bar fill."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.dialler.models import DiallerContact
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.teams.models import Team

from .browser import PASSWORD
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = 300


def test_csv_import_with_live_progress(app_server, jobs_worker, page: Page, tmp_path):
    from agentdesk.demo.seeding import seed_dialler_campaigns

    demo.seed_outcomes()
    demo.seed_campaigns()
    seed_dialler_campaigns()
    users = get_user_model().objects
    team = Team.objects.create(name="Importers")
    agent = users.create_user("ivy", password=PASSWORD)
    AgentProfile.objects.create(
        user=agent, lcm_agent_id="ivy@test", team=team, campaign_groups=["Sales Manual Group"]
    )
    team.leads.add(users.create_user("ian", password=PASSWORD))

    path = tmp_path / "contacts.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData", "Company"]
    )
    for n in range(ROWS):
        writer.writerow(
            [
                f"Last{n}",
                f"First{n}",
                "Spring Renewals",
                f"2025{n:06d}",
                f"crm-{n}",
                "ACME & Sons <Ltd>",
            ]
        )
    writer.writerow(["", "Nameless", "Spring Renewals", "2025999999", "crm-x", ""])
    path.write_text(out.getvalue())

    page.goto(f"{app_server.url}/accounts/login/?next=/monitor/")
    page.fill("input[name=username]", "ian")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("#import-link")
    page.set_input_files("input[name=file]", str(path))
    page.click("button[type=submit]")
    expect(page.locator("main")).to_contain_text(f"{ROWS} can be imported")
    expect(page.locator("#invalid-rows")).to_contain_text("Name is required")

    page.click("#start-import")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#import-progress")).to_have_attribute("data-percent", "100", timeout=60000)
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "done")
    expect(page.locator("#import-progress")).to_contain_text(f"created {ROWS}")
    expect(page.locator("#results-link")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "import-page.png"))
    assert DiallerContact.objects.count() == ROWS
    assert Contact.objects.filter(business_fields__company="ACME & Sons <Ltd>").count() == ROWS
