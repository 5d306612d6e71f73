"""LCM_URL=embedded: envelopes go to the bundled simulator in this process, as they would over
HTTP (serialised, parsed, answered), without a network hop. Registered in LcmsimConfig.ready."""

from __future__ import annotations

import json
from typing import Any

from agentdesk.lcm.client import check_http_status
from agentdesk.lcm.errors import LcmUnreachable

from .service import SimulatorDown, SimulatorHttpFailure, handle_envelope_async


class EmbeddedTransport:
    """Routes envelopes to the bundled LCM simulator in this process."""

    async def exchange(self, envelope: dict[str, Any]) -> bytes:
        try:
            return await handle_envelope_async(json.dumps(envelope).encode())
        except SimulatorDown as exc:
            error = LcmUnreachable("the LCM simulator is switched to 'down'")
            error.may_have_arrived = exc.acted  # it carried the call out, then failed
            raise error from exc
        except SimulatorHttpFailure as exc:
            return check_http_status(exc.status, exc.body)
