"""The monitor's charts: geometry, the figures behind them, the history page and its CSV."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from agentdesk.desk.models import ActionLog
from agentdesk.monitor import charts, figures
from agentdesk.teams.models import Team

SVG = "{http://www.w3.org/2000/svg}"

# ---------------------------------------------------------------- geometry (no database)


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2.5, 5, 7.5, 10]),
        (37, [0, 10, 20, 30, 40]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_scales_end_on_a_round_value_at_or_above_the_largest(maximum, expected):
    assert charts.scale_ticks(maximum) == expected


def test_stacked_rows_add_up_and_keep_one_colour_per_series():
    chart = charts.row_chart(
        [
            ("Sales", [("8 No Answer", 3), ("3 Busy", 1)]),
            ("Service", [("3 Busy", 2)]),
        ],
        stacked=True,
        width=400,
        label_width=100,
    )
    sales, service = chart.rows
    # Outcomes stack in id order (the same order and colours on every render).
    assert [b.series for b in sales.bars] == ["3 Busy", "8 No Answer"]
    assert sales.total == 4 and service.total == 2
    # segments follow each other and their lengths are proportional to their values
    first, second = sales.bars
    assert first.x == 100 and second.x == pytest.approx(first.x + first.width)
    assert second.width == pytest.approx(3 * first.width)
    assert service.bars[0].width == pytest.approx(2 * first.width)
    busy = {b.colour for row in chart.rows for b in row.bars if b.series == "3 Busy"}
    assert len(busy) == 1 and busy != {second.colour}
    assert [item.series for item in chart.legend] == ["3 Busy", "8 No Answer"]
    assert chart.table == [("Sales", [1, 3]), ("Service", [2, 0])]
    # the longest bar stays inside the plot, with room for its total
    assert max(b.x + b.width for row in chart.rows for b in row.bars) <= 400 - 34
    assert not chart.empty


def test_grouped_rows_give_each_series_its_own_bar_in_the_given_order():
    chart = charts.row_chart(
        [("Alice", [("added", 1), ("fetched", 4), ("skipped", 2)])],
        stacked=False,
        series_order=["fetched", "skipped", "added"],
    )
    (row,) = chart.rows
    assert [(b.series, b.value) for b in row.bars] == [("fetched", 4), ("skipped", 2), ("added", 1)]
    assert row.bars[0].y < row.bars[1].y < row.bars[2].y
    assert row.bars[0].width == pytest.approx(2 * row.bars[1].width)


def test_an_empty_chart_says_so():
    assert charts.row_chart([("Alice", [("fetched", 0)])], stacked=False).empty
    assert charts.hour_chart([0] * 24, [0] * 24, counts_label="a", average_label="b").empty


def test_hour_chart_bars_and_average_line_share_one_scale():
    counts = [0] * 24
    counts[9], counts[10] = 4, 8
    average = [0.0] * 24
    average[10] = 2.0
    chart = charts.hour_chart(counts, average, counts_label="today", average_label="avg")
    bar9, bar10 = chart.bars[9], chart.bars[10]
    assert bar10.height == pytest.approx(2 * bar9.height)
    assert bar10.y + bar10.height == pytest.approx(chart.plot_bottom)
    x, y, value = chart.markers[10]
    assert value == 2.0
    assert chart.plot_bottom - y == pytest.approx(bar10.height / 4)
    assert x == pytest.approx(bar10.x + bar10.width / 2)
    assert len(chart.line_points.split()) == 24
    assert [t.label for t in chart.x_ticks][:3] == ["00", "02", "04"]
    with pytest.raises(ValueError, match="24 values"):
        charts.hour_chart([1, 2], [0] * 24, counts_label="a", average_label="b")


# ---------------------------------------------------------------- figures from the action log


def log(agent, kind, at, *, ok=True, group="Sales Manual Group", outcome=None, key="1|1|1"):
    outcome_id, outcome_name = outcome or (None, "")
    return ActionLog.objects.create(
        agent=agent,
        team=agent.team,
        kind=kind,
        at=at,
        ok=ok,
        campaign_group=group,
        lcm_key=key if kind in (ActionLog.NEXT, ActionLog.RESERVED) else "",
        outcome_id=outcome_id,
        outcome_name=outcome_name,
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def history(agents):
    """A day of work for alice and bob, a week before it, and carol's day in another team."""
    alice, bob, carol = agents["alice"], agents["bob"], agents["carol"]
    day = date(2026, 3, 10)
    no_answer, busy = (8, "No Answer"), (3, "Busy")
    for minute in range(3):
        log(alice, ActionLog.NEXT, at(day, 9, minute))
        log(alice, ActionLog.SKIP, at(day, 9, minute + 10), outcome=no_answer)
    log(bob, ActionLog.NEXT, at(day, 14))
    log(bob, ActionLog.SKIP, at(day, 14, 5), outcome=busy, group="Service Manual Group")
    log(bob, ActionLog.SKIP, at(day, 14, 6), outcome=busy, ok=False)  # failed: not handled
    log(bob, ActionLog.ADD, at(day, 15))
    log(bob, ActionLog.NEXT, at(day, 15, 30), key="")  # nothing available: not fetched
    for back in range(1, 8):  # one skip at 09:xx on each of the 7 days before
        log(alice, ActionLog.SKIP, at(day - timedelta(days=back), 9, 30), outcome=busy)
    log(alice, ActionLog.SKIP, at(day - timedelta(days=8), 9, 30), outcome=busy)  # too old
    log(carol, ActionLog.SKIP, at(day, 9, 30), outcome=busy, group="Service Manual Group")
    return day


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_days_figures(history):
    blue = Team.objects.get(name="Blue")
    result = figures.team_figures(blue, history)
    assert result.outcome_mix == [
        ("Sales Manual Group", [("8 No Answer", 3)]),
        ("Service Manual Group", [("3 Busy", 1)]),
    ]
    assert result.handled_by_hour[9] == 3 and result.handled_by_hour[14] == 1
    assert sum(result.handled_by_hour) == 4
    assert result.baseline_by_hour[9] == pytest.approx(1.0)  # 7 skips over 7 days
    assert sum(result.baseline_by_hour) == pytest.approx(1.0)
    assert dict(result.per_agent) == {
        "alice": [("fetched", 3), ("skipped", 3), ("added", 0)],
        "bob": [("fetched", 1), ("skipped", 1), ("added", 1)],
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_range_averages_per_day_and_compares_with_the_week_before_it(history):
    blue = Team.objects.get(name="Blue")
    result = figures.team_figures(blue, history - timedelta(days=1), history)
    assert result.days == 2
    assert result.handled_by_hour[9] == pytest.approx((3 + 1) / 2)
    assert dict(result.per_agent)["alice"][1] == ("skipped", 4)
    with pytest.raises(ValueError, match="ends before it starts"):
        figures.team_figures(blue, history, history - timedelta(days=1))


@pytest.mark.django_db
def test_the_charts_render_as_valid_svg_with_text_alternatives(history):
    from django.template.loader import render_to_string

    blue = Team.objects.get(name="Blue")
    context = figures.chart_context(figures.team_figures(blue, history), "Pictures")
    html = render_to_string("monitor/_charts.html", {**context, "oob": True})
    assert 'id="monitor-charts"' in html and 'hx-swap-oob="true"' in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ElementTree.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None
        assert (title.text or "").strip() and (desc.text or "").strip()
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "2026-03-10: 4 contacts handled, most at 09:00 (3)." in html
    assert "Sales Manual Group: 3 skipped, most with 8 No Answer (3)." in html
    assert "alice: fetched 3, skipped 3, added 0." in html
    assert html.count('<th scope="row">') == 2 + 2 + 2  # hours, queues, agents tables


# ---------------------------------------------------------------- pages


def lead_client(agents) -> Client:
    client = Client()
    client.force_login(agents["lead"])
    return client


@pytest.mark.django_db
def test_the_monitor_page_shows_todays_charts(agents):
    blue = Team.objects.get(name="Blue")
    log(agents["alice"], ActionLog.SKIP, timezone.now(), outcome=(8, "No Answer"))
    page = lead_client(agents).get(f"/monitor/{blue.pk}/").content.decode()
    assert "Today in pictures" in page
    assert "today: 1 contact handled" in page
    assert "Sales Manual Group: 1 skipped" in page


@pytest.mark.postgres
@pytest.mark.django_db
def test_history_page_for_a_range_with_csv(history, agents):
    blue = Team.objects.get(name="Blue")
    client = lead_client(agents)
    url = f"/monitor/{blue.pk}/history/"
    page = client.get(url, {"start": "2026-03-09", "end": "2026-03-10"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "average per day, 2026-03-09 to 2026-03-10" in text
    assert 'value="2026-03-09"' in text and 'value="2026-03-10"' in text

    exported = client.get(url, {"start": "2026-03-10", "end": "2026-03-10", "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    assert "2026-03-10" in exported["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["chart", "row", "series", "value"]
    assert ["outcome_mix", "Sales Manual Group", "8 No Answer", "3"] in rows
    assert ["handled_per_hour", "09:00", "period", "3"] in rows
    assert ["handled_per_hour", "09:00", "baseline_7_days", "1.0"] in rows
    assert ["per_agent", "bob", "added", "1"] in rows
    assert not any(row[1] == "carol" for row in rows)  # another team's agent


@pytest.mark.django_db
def test_history_names_a_bad_date_and_a_reversed_range(agents):
    blue = Team.objects.get(name="Blue")
    client = lead_client(agents)
    url = f"/monitor/{blue.pk}/history/"
    bad = client.get(url, {"start": "10.03.2026", "end": "2026-03-10"})
    assert bad.status_code == 400 and "start" in bad.content.decode()
    reversed_range = client.get(url, {"start": "2026-03-10", "end": "2026-03-01"})
    assert reversed_range.status_code == 400
    assert "end" in reversed_range.content.decode()
    too_long = client.get(url, {"start": "2024-01-01", "end": "2026-03-01"})
    assert too_long.status_code == 400
    for edge in ({"start": "0001-01-01", "end": "0001-01-02"},
                 {"start": "9999-12-30", "end": "9999-12-31"}):  # fmt: skip
        for shape in ({}, {"format": "csv"}):
            assert client.get(url, {**edge, **shape}).status_code == 400


@pytest.mark.django_db
def test_team_leads_see_only_their_teams_history(agents):
    green = Team.objects.get(name="Green")
    client = lead_client(agents)
    assert client.get(f"/monitor/{green.pk}/history/").status_code == 404
    assert client.get(f"/monitor/{green.pk}/history/", {"format": "csv"}).status_code == 404
    anonymous = Client().get(f"/monitor/{green.pk}/history/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
