"""Typed failures of talking to LCM, each with a sentence an agent can act on."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class LcmError(Exception):
    """Base for every LCM failure; `user_message` is safe to show to an agent."""

    kind = "error"
    user_message = _("LCM could not complete the request.")
    latency_ms: float = 0.0

    def __init__(self, detail: str = "", *, subtopic: str = "") -> None:
        self.detail = detail
        self.subtopic = subtopic
        super().__init__(detail or str(self.user_message))

    def describe(self) -> str:
        return str(self.user_message)


class LcmUnreachable(LcmError):
    kind = "unreachable"
    user_message = _("LCM is unreachable right now. Nothing was changed; try again in a moment.")


class LcmTimeout(LcmError):
    kind = "timeout"
    user_message = _("LCM did not answer in time. Nothing was changed on your screen; try again.")


class LcmBadAnswer(LcmError):
    kind = "bad_answer"
    user_message = _(
        "LCM answered something agentdesk cannot read. Nothing was changed; try again."
    )


class LcmRejected(LcmError):
    """LCM refused the call (a `WS_Error` answer); its own text is shown."""

    kind = "rejected"

    def describe(self) -> str:
        if self.detail:
            return gettext("LCM refused the request: %(reason)s") % {"reason": self.detail}
        return gettext("LCM refused the request.")


class MessageError(ValueError):
    """A message (request or answer) is missing a mandatory field or has an invalid one."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
