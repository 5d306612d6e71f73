"""How agentdesk's workers run Daphne: the `serve` command and the benchmarks use these
options, and docs/deploy.md gives production workers the same."""

# After a deploy every open page reconnects at once. Daphne drops a websocket handshake the
# application has not accepted within its default 5 s; the page retries and the work already
# done for the dropped handshake is lost, so a busy worker never caught up.
WEBSOCKET_CONNECT_TIMEOUT = 60
DAPHNE_OPTIONS: tuple[str, ...] = ("--websocket_connect_timeout", str(WEBSOCKET_CONNECT_TIMEOUT))
