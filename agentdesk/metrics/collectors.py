"""Figures read at scrape time: open sockets, import rows and webhook deliveries from the
database (the same on every worker, since all share it) and this worker's circuit breaker."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agentdesk.desk.models import AgentSession
from agentdesk.dialler.models import ImportRow
from agentdesk.lcm.client import CircuitBreaker, breaker_state
from agentdesk.teams.models import Team
from agentdesk.webhooks.models import Delivery

BREAKER_STATES = (CircuitBreaker.CLOSED, CircuitBreaker.HALF_OPEN, CircuitBreaker.OPEN)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        sockets = GaugeMetricFamily(
            "agentdesk_open_sockets",
            "Open live connections: agents' pages and team monitors (all workers).",
            labels=["kind"],
        )
        agents = AgentSession.objects.aggregate(n=Sum("connections"))["n"] or 0
        monitors = Team.objects.aggregate(n=Sum("monitors_open"))["n"] or 0
        sockets.add_metric(["agent"], max(agents, 0))
        sockets.add_metric(["monitor"], max(monitors, 0))
        yield sockets

        rows = GaugeMetricFamily(
            "agentdesk_import_rows",
            "Rows of bulk contact imports by status (pending, importing, invalid, created, "
            "updated, unchanged, failed, unknown: LCM may or may not have it).",
            labels=["status"],
        )
        counts = dict(ImportRow.objects.order_by().values_list("status").annotate(n=Count("pk")))
        for status in (
            ImportRow.PENDING,
            ImportRow.IMPORTING,
            ImportRow.INVALID,
            ImportRow.CREATED,
            ImportRow.UPDATED,
            ImportRow.UNCHANGED,
            ImportRow.FAILED,
            ImportRow.UNKNOWN,
        ):
            rows.add_metric([status], counts.get(status, 0))
        yield rows

        deliveries = GaugeMetricFamily(
            "agentdesk_webhook_deliveries",
            "Webhook deliveries by status: pending, sending, delivered, failed (given up).",
            labels=["status"],
        )
        counts = dict(Delivery.objects.order_by().values_list("status").annotate(n=Count("pk")))
        for status, _label in Delivery.STATES:
            deliveries.add_metric([status], counts.get(status, 0))
        yield deliveries


class BreakerCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        current = breaker_state()
        state = GaugeMetricFamily(
            "agentdesk_lcm_circuit_state",
            "The answering worker's LCM circuit breaker: 1 for its current state.",
            labels=["state"],
        )
        for name in BREAKER_STATES:
            state.add_metric([name], 1 if current["state"] == name else 0)
        yield state
        yield GaugeMetricFamily(
            "agentdesk_lcm_consecutive_failures",
            "Transport failures in a row seen by the answering worker's circuit breaker.",
            value=current["failures"],
        )
