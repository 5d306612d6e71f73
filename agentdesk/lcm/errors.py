"""Typed failures of talking to LCM, each with a sentence an agent can act on.

Two facts travel with every failure: what LCM itself said (`lcm_text`, shown to the agent
verbatim; templates escape it) and whether LCM may have carried out a write although its answer
was lost or unreadable (`outcome_unknown`). After such a failure agentdesk never claims that
"nothing was changed".
"""

from django.utils.translation import gettext as _


class LcmError(Exception):
    """Base for every LCM failure; `describe()` is safe to show to an agent."""

    kind = "error"
    latency_ms: float = 0.0
    circuit_open = False  # True when the circuit breaker refused the call without trying

    def __init__(self, detail: str = "", *, subtopic: str = "", lcm_text: str = "") -> None:
        self.detail = detail
        self.subtopic = subtopic
        self.lcm_text = lcm_text
        # Transport failures: could the request have reached LCM before things went wrong?
        self.may_have_arrived = True
        # Set by the client for a write that may have reached LCM before the failure.
        self.outcome_unknown = False
        self.user_message = ""
        super().__init__(detail or self.kind)

    def plain_message(self) -> str:
        """What went wrong, for a call that certainly changed nothing."""
        return _("LCM could not complete the request.")

    def describe(self) -> str:
        if self.user_message:
            return self.user_message
        if self.outcome_unknown:
            return _(
                "LCM may have done this: %(cause)s, so agentdesk cannot tell whether it went "
                "through."
            ) % {"cause": self.cause()}
        return self.plain_message()

    def cause(self) -> str:
        return _("its answer could not be read")


class LcmUnreachable(LcmError):
    kind = "unreachable"

    def plain_message(self) -> str:
        return _("LCM is unreachable right now. Nothing was changed; try again in a moment.")

    def cause(self) -> str:
        return _("the connection broke before its answer arrived (LCM unreachable)")


class LcmTimeout(LcmError):
    kind = "timeout"

    def plain_message(self) -> str:
        return _("LCM did not answer in time. Nothing was changed on your screen; try again.")

    def cause(self) -> str:
        return _("LCM did not answer in time")


class LcmBadAnswer(LcmError):
    kind = "bad_answer"

    def cause(self) -> str:
        if self.lcm_text:
            return _("LCM answered “%(text)s”, which agentdesk cannot read") % {
                "text": self.lcm_text[:200]
            }
        return _("LCM answered something agentdesk cannot read")

    def plain_message(self) -> str:
        return _("%(cause)s. Nothing was changed; try again.") % {"cause": self.cause()}


class LcmRejected(LcmError):
    """LCM refused the call and said why (a `WS_Error`, an `ErrorMessage`, a failure text…).

    LCM's own words are shown first, then agentdesk's hint of what to do about them."""

    kind = "rejected"

    def __init__(self, lcm_text: str = "", *, subtopic: str = "", hint: str = "") -> None:
        text = " ".join(str(lcm_text).split())[:400]
        super().__init__(text, subtopic=subtopic, lcm_text=text)
        self.hint = hint

    def describe(self) -> str:
        said = (
            _("LCM refused the request: “%(text)s”.") % {"text": self.lcm_text}
            if self.lcm_text
            else _("LCM refused the request without saying why.")
        )
        return f"{said} {self.hint or refusal_hint()}"


def refusal_hint() -> str:
    return _("Nothing was changed. Fix what LCM names (or ask your team lead), then try again.")


class MessageError(ValueError):
    """A message (request or answer) is missing a mandatory field or has an invalid one."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
