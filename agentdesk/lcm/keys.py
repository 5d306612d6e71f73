"""The shape of an LCM key (`AccountNumber`) where LCM could as well have answered words.

Every vendor page shows the key as whole numbers joined by pipes, seven of them
(`77|1|18|0|0|84|0`, `0|0|000|0|0|00|1234`, `137|1|3|0|0|84|1`, `49|3|279|0|0|44|1253`).
agentdesk treats the key as opaque but checks the shape of a key answered where words could
stand (CreateContact's `Response`), because an LCM that fails sometimes
answers a text where the key belongs (`{"Response": "Failed: Campaign not found"}`): storing
that text as a key would lose the contact and show the agent a success. The rule accepts
three or more pipe-separated whole numbers, so an LCM with a longer or shorter key still
works, while no sentence can pass.
"""

import re

_KEY = re.compile(r"[0-9]+(?:\|[0-9]+){2,}")
MAX_KEY_LENGTH = 80  # the width agentdesk stores keys in


def is_lcm_key(value: object) -> bool:
    """True for a text shaped like an LCM key (surrounding spaces are allowed)."""
    if isinstance(value, bool) or not isinstance(value, str):
        return False
    text = value.strip()
    return len(text) <= MAX_KEY_LENGTH and bool(_KEY.fullmatch(text))
