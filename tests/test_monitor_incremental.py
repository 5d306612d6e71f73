"""The monitor is pushed only what a change changed: the acting agent's row, the queues the
change touched, the feed, and the charts at most every MONITOR_CHARTS_SECONDS; rows and
charts are rendered again only when what they show changed."""

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from agentdesk.desk import actions, state
from agentdesk.monitor import live, stats
from agentdesk.monitor.consumers import MonitorConsumer
from agentdesk.teams.models import Team

from .helpers import add_contact, log_into

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"
SERVICE = "Service Manual Group"


async def watch(user, team_id):
    communicator = WebsocketCommunicator(MonitorConsumer.as_asgi(), f"/ws/monitor/{team_id}/")
    await log_into(communicator, user)
    communicator.scope["url_route"] = {"kwargs": {"team_id": team_id}}
    connected, _ = await communicator.connect()
    assert connected
    assert 'id="monitor-agents"' in await communicator.receive_from(timeout=5)  # the resync
    return communicator


async def push_frames(monitor) -> list[str]:
    """The frames of one push: the fragments, then the queue rows when a queue changed."""
    frames = [await monitor.receive_from(timeout=5)]
    if not await monitor.receive_nothing(timeout=0.5):
        frames.append(await monitor.receive_from(timeout=5))
    return frames


def queue_id(name: str) -> str:
    return stats.QueueRow(name).dom_id


def row_ids(html: str) -> set[str]:
    return set(re.findall(r'id="(agent-row-\d+)"', html))


async def test_one_agents_change_pushes_their_row_and_their_queue_only(agents, settings):
    settings.MONITOR_CHARTS_SECONDS = 60
    await sync_to_async(add_contact)(phone="2025550181")
    alice, bob = agents["alice"], agents["bob"]
    monitor = await watch(agents["lead"], alice.team_id)

    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    fragments, rows = await push_frames(monitor)
    assert row_ids(fragments) == {f"agent-row-{alice.pk}"}  # not bob's row
    assert f"agent-row-{bob.pk}" not in fragments + rows
    assert "···0181" in fragments and "Next contact" in fragments  # the row and the feed
    assert 'id="monitor-agents"' not in fragments  # not the whole table
    assert 'id="monitor-queues"' not in fragments
    assert 'id="monitor-charts"' not in fragments  # the charts follow in their own update
    # The Sales queue's row alone, by its stable id, in a frame a browser parses as rows.
    assert rows.startswith("<tr") and f'id="{queue_id(SALES)}"' in rows
    assert queue_id(SERVICE) not in rows
    assert "alice" in rows  # working it now
    charts = await monitor.receive_from(timeout=5)  # the first change of the day: at once
    assert 'id="monitor-charts"' in charts and row_ids(charts) == set()

    assert (await actions.skip_contact(alice, outcome_id="8")).ok
    fragments, rows = await push_frames(monitor)
    assert row_ids(fragments) == {f"agent-row-{alice.pk}"}
    assert f'id="{queue_id(SALES)}"' in rows and "8 No Answer ×1" in rows
    assert await monitor.receive_nothing(timeout=0.5)  # charts drawn a moment ago: not yet
    await monitor.disconnect()


async def test_the_charts_follow_once_their_interval_is_up(agents, settings):
    settings.MONITOR_CHARTS_SECONDS = 3
    await sync_to_async(add_contact)(phone="2025550182")
    alice = agents["alice"]
    monitor = await watch(agents["lead"], alice.team_id)

    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    await push_frames(monitor)
    assert "today: no contacts handled" in await monitor.receive_from(timeout=5)  # the charts
    assert (await actions.skip_contact(alice, outcome_id="8")).ok
    assert 'id="monitor-charts"' not in (await push_frames(monitor))[0]
    later = await monitor.receive_from(timeout=8)  # the skip, drawn when the interval is up
    assert 'id="monitor-charts"' in later and "1 contact handled" in later
    assert row_ids(later) == set()  # only the charts
    await monitor.disconnect()


async def test_a_new_campaign_group_choice_sends_the_whole_queue_table(agents):
    alice = agents["alice"]
    monitor = await watch(agents["lead"], alice.team_id)
    assert (await actions.select(alice, campaign_group=SERVICE, consent="Both")).ok
    fragments = (await push_frames(monitor))[0]
    assert 'id="monitor-queues"' in fragments  # the set of queues may have changed
    assert f'id="{queue_id(SALES)}"' in fragments and f'id="{queue_id(SERVICE)}"' in fragments
    await monitor.disconnect()


async def test_the_resync_renders_again_only_the_rows_that_changed(agents, monkeypatch):
    await sync_to_async(add_contact)(phone="2025550183")
    alice, bob = agents["alice"], agents["bob"]
    for profile in (alice, bob):  # agents who have opened their page once
        await sync_to_async(state.session_for)(profile)
    rendered: list[str] = []
    original = live.render_to_string

    def counting(name, context=None, *args, **kwargs):
        if name == live.ROW:
            rendered.append(f"agent-row-{context['row'].profile.pk}")
        return original(name, context, *args, **kwargs)

    monkeypatch.setattr(live, "render_to_string", counting)
    first = await live.render_team(alice.team_id)
    assert sorted(rendered) == sorted([f"agent-row-{alice.pk}", f"agent-row-{bob.pk}"])
    rendered.clear()
    assert await live.render_team(alice.team_id) == first  # from the cache, the same HTML
    assert rendered == []

    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    rendered.clear()
    again = await live.render_team(alice.team_id)
    assert rendered == [f"agent-row-{alice.pk}"]  # bob's row did not change
    assert "···0183" in again


async def test_queue_rows_keep_their_id_from_the_page_to_the_push(agents):
    team = await sync_to_async(Team.objects.get)(pk=agents["alice"].team_id)
    page = await live.render_team(team.pk)
    assert f'id="{queue_id(SALES)}"' in page and f'id="{queue_id(SERVICE)}"' in page
    assert queue_id(SALES) != queue_id(SERVICE)
    frames = await live.render_team_changes(team.pk, live.Change(queues={SERVICE}))
    assert frames is not None and len(frames) == 2
    assert f'id="{queue_id(SERVICE)}"' in frames[1] and queue_id(SALES) not in frames[1]


async def test_the_teams_rows_take_their_turn_before_the_charts():
    """Updates wait for one turn per worker; a team's rows, queues and feed go before any
    charts redraw that waits, and each kind in the order it came."""
    from agentdesk.monitor.push import Turn

    turn, order = Turn(), []

    async def update(name: str, urgent: bool) -> None:
        async with turn.first() if urgent else turn.later():
            order.append(name)
            await asyncio.sleep(0.01)

    async with turn.first():  # an update renders; these queue meanwhile
        waiting = [
            asyncio.create_task(update("charts A", False)),
            asyncio.create_task(update("rows B", True)),
            asyncio.create_task(update("charts C", False)),
            asyncio.create_task(update("rows D", True)),
        ]
        await asyncio.sleep(0.01)
    await asyncio.gather(*waiting)
    assert order == ["rows B", "rows D", "charts A", "charts C"]


async def test_an_update_cancelled_while_waiting_leaves_the_turn_to_the_others():
    from agentdesk.monitor.push import Turn

    turn, order = Turn(), []

    async def update(name: str) -> None:
        async with turn.later():
            order.append(name)

    async with turn.first():
        gone = asyncio.create_task(update("gone"))
        kept = asyncio.create_task(update("kept"))
        await asyncio.sleep(0.01)
        gone.cancel()
    await kept
    assert order == ["kept"]
    async with turn.first():  # and the turn is free again
        order.append("free")
    assert order == ["kept", "free"]
