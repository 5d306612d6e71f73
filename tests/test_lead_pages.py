"""What a team lead ran into: chart labels cut, an outcome's colour moving between renders, the
Release list cut short, the do-not-call page without a heading, messages written for another
page, and the README promising leads the compliance admin."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Page, expect

from agentdesk.compliance import dnc
from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession
from agentdesk.dialler import bulk, importing
from agentdesk.dialler.models import DiallerCampaign
from agentdesk.dialler.schemas import ContactIn
from agentdesk.lcmsim import demo
from agentdesk.monitor import charts
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_outcome_keeps_its_colour_whatever_else_was_skipped():
    first = charts.row_chart([("Sales", [("8 No Answer", 3), ("3 Busy", 1)])], stacked=True)
    second = charts.row_chart(
        [("Sales", [("3 Busy", 2)]), ("Service", [("101 Sale: annual plan", 1), ("3 Busy", 1)])],
        stacked=True,
    )
    colours = [{i.series: i.colour for i in chart.legend} for chart in (first, second)]
    assert colours[0]["3 Busy"] == colours[1]["3 Busy"]
    # Legend (and stacking) in outcome id order, whatever came first.
    assert [i.series for i in first.legend] == ["3 Busy", "8 No Answer"]
    # Two outcomes of one chart never share a colour, even when their ids would.
    clash = charts.stable_colours(["3 Busy", "10 Callback later", "17 Moved"])
    assert len(set(clash.values())) == 3


def test_a_long_queue_name_fits_the_label_area():
    chart = charts.row_chart(
        [("Service Manual Group", [("3 Busy", 1)]), ("Sales", [("3 Busy", 1)])], stacked=True
    )
    assert chart.rows[0].shown == "Service Manual Group"
    assert chart.label_width >= len("Service Manual Group") * charts.LABEL_CHAR_WIDTH
    huge = charts.row_chart([("A" * 200, [("3 Busy", 1)])], stacked=True)
    assert huge.label_width <= 420 * charts.LABEL_SHARE
    assert huge.rows[0].shown.endswith("…") and len(huge.rows[0].shown) < 40


def test_the_lead_csv_import_speaks_of_the_team_not_a_token():
    DiallerCampaign.objects.create(name="Spring Renewals", campaign_group="Sales Manual Group")
    contact = ContactIn.model_validate(
        {"DiallerCampaignsName": "Win-back West", "Name": "A", "PhoneNumber1": "+12025550100"}
    )
    with pytest.raises(importing.ImportRejected) as refused:
        importing.Lookups(set(), bulk.csv_scope(set())).campaign(contact)
    assert "that your team may import into" in refused.value.message
    assert "token" not in refused.value.message
    with pytest.raises(importing.ImportRejected) as refused:
        importing.Lookups(None, bulk.csv_scope(None)).campaign(contact)
    assert refused.value.message == "No campaign with DiallerCampaignsName 'Win-back West'."
    with pytest.raises(importing.ImportRejected) as refused:  # the API keeps its words
        importing.Lookups({1}).campaign(contact)
    assert "that this token may use" in refused.value.message


def test_the_dnc_upload_does_not_speak_of_a_campaign():
    result = dnc.import_csv(b"PhoneNumber\n2025550100\n", added_by="lee")
    ((line, problem),) = result.problems
    assert line == 2
    assert "campaign" not in problem
    assert "fill in the row's Region, or choose a default region for the file" in problem
    listed = dnc.import_csv(b"PhoneNumber,Region\n2025550100,US\n", added_by="lee")
    assert listed.added == 1 and not listed.problems


def test_the_readme_promises_leads_only_what_they_get(agents):
    """Leads are not staff: the admin's compliance pages send them to the admin login, and
    the README says the rules are an administrator's (and how to give a lead the rights)."""
    lead = Client()
    lead.force_login(agents["lead"])
    answer = lead.get("/admin/compliance/campaignpolicy/")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "are managed in the Django admin too" not in readme
    assert "are\nan administrator's, in the Django admin" in readme
    team = agents["lead"].led_teams.get()
    monitor = lead.get(f"/monitor/{team.pk}/").content.decode()
    assert f'id="dnc-link" href="/monitor/{team.pk}/dnc/"' in monitor  # what leads do get


@pytest.fixture
def lead_world(app_server):
    demo.seed_outcomes()
    demo.seed_campaigns()
    users = get_user_model().objects
    team = Team.objects.create(name="Blue Team")
    user = users.create_user("svc", password=PASSWORD, first_name="Sam", last_name="Service")
    agent = AgentProfile.objects.create(
        user=user, lcm_agent_id="svc@test", team=team, campaign_groups=["Service Manual Group"]
    )
    for outcome_id, name in [(3, "Busy"), (8, "No Answer"), (101, "Sale: annual plan")]:
        ActionLog.objects.create(
            agent=agent,
            team=team,
            kind=ActionLog.SKIP,
            outcome_id=outcome_id,
            outcome_name=name,
            campaign_group="Service Manual Group",
        )
    AgentSession.objects.create(
        agent=agent,
        state=AgentSession.PREVIEWING,
        campaign_group="Service Manual Group",
        contact={"AccountNumber": "Service Follow-up|1|9|0|0|44|9", "PhoneNumber": "02079460123"},
    )
    team.leads.add(users.create_user("lee", password=PASSWORD, first_name="Lee"))
    return team


@pytest.mark.browser
def test_labels_release_list_and_dnc_page_at_1366(app_server, lead_world, page: Page):
    log_in(page, app_server, "lee", "/monitor/")
    label = page.locator("#chart-mix .row-label").first
    expect(label).to_have_text("Service Manual Group")
    box = label.evaluate("e => { const b = e.getBBox(); return [b.x, b.width]; }")
    assert box[0] >= 0, f"label starts left of the chart at x={box[0]}"
    release = page.locator("form.release select")
    expect(release).to_be_visible()
    # The select is wide enough for its first option's words and the arrow.
    fits = release.evaluate(
        "s => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(s).font;"
        " return s.clientWidth - c.measureText(s.options[s.selectedIndex].text).width; }"
    )
    assert fits >= 16, f"the Release list is {fits:.0f} px short of its text and arrow"
    page.screenshot(path=str(ARTIFACTS / "monitor-labels-release.png"))

    page.goto(f"{app_server.url}/monitor/{lead_world.pk}/dnc/")
    expect(page.locator("h1")).to_have_text("Do-not-call list: Blue Team")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.evaluate("document.getElementById('main') !== null")
