"""How agentdesk's workers run Daphne: the `serve` command and the benchmarks use these
options, and docs/deploy.md gives production workers the same."""

from pprint import pformat

# After a deploy every open page reconnects at once. Daphne drops a websocket handshake the
# application has not accepted within its default 5 s; the page retries and the work already
# done for the dropped handshake is lost, so a busy worker never caught up.
WEBSOCKET_CONNECT_TIMEOUT = 60
DAPHNE_OPTIONS: tuple[str, ...] = ("--websocket_connect_timeout", str(WEBSOCKET_CONNECT_TIMEOUT))


class _Formatted:
    """`pformat(value)`, worked out only if the log line it is an argument of is written."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(pformat(self.value), spec)

    def __str__(self) -> str:
        return pformat(self.value)


def skip_unlogged_formatting() -> None:
    """Autobahn (Daphne's websocket layer) pretty-prints its whole configuration for a debug
    log line on every new connection, whether debug logging is on or not: 3 % of a worker
    during a reconnect storm (docs/benchmarks.md). Its module-level `pformat` is replaced by a
    lazy one; `Timings.__str__`, which must return text, keeps the real one.
    tests/test_framework_adapters.py fails when an upgrade changes either."""
    from autobahn.websocket import protocol

    if getattr(protocol, "agentdesk_lazy_pformat", False):
        return
    protocol.pformat = _Formatted  # type: ignore[assignment]
    protocol.Timings.__str__ = lambda self: pformat(self._timings)  # type: ignore[method-assign]
    protocol.agentdesk_lazy_pformat = True  # type: ignore[attr-defined]
