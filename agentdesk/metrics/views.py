"""`GET /metrics`: Prometheus' text format, for clients in METRICS_ALLOWED_NETWORKS only."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .access import may_scrape, parse_networks
from .collectors import BreakerCollector, DatabaseCollector


@cache
def _allowed_networks(values: tuple[str, ...]) -> list[Any]:
    return parse_networks(values)


def _scrape_registries() -> list[CollectorRegistry]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Counters and histograms summed over every process writing to that directory.
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    return [process_registry, _read_at_scrape()]


@cache
def _read_at_scrape() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    registry.register(BreakerCollector())
    return registry


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    networks = _allowed_networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if not may_scrape(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        networks,
    ):
        return HttpResponse(
            gettext("Metrics are only served to the networks in METRICS_ALLOWED_NETWORKS.") + "\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    body = b"".join(generate_latest(registry) for registry in _scrape_registries())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
