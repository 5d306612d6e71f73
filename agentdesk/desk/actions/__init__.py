"""The agent's actions and a team lead's actions on an agent's screen: the one place that talks
to LCM for an agent, changes the agent's session state, writes the action log and publishes
the change.

Every action reads the same way: check the input; take the agent's turn (the one-action-at-a-
time lock, given back whatever happens); call LCM; finish the turn, which saves the result (or
leaves the state exactly as it was on any failure), writes the log entry and publishes once.
An action takes a context read once (context.py: who acts, the outcome menu, the campaign
groups, how to render) and returns an `Outcome`, data only: the answer layer (desk/answer.py)
shows it. One module per action; turn.py holds what they share, closing.py the close in LCM
that Skip, hand back and release share.
"""

from .adding import NewContact, add_contact
from .callback_move import Reassigned, reassign_callback, settle_abandoned_moves
from .compliance import confirm_dial, hand_back, preview_expired
from .context import ActionContext, AddForm, Outcome
from .fetching import next_contact, reserved_contact, select
from .lead import clear_screen, release_contact
from .skipping import has_control_character, skip_contact
from .turn import BUSY_MESSAGE, new_call_id

__all__ = [
    "BUSY_MESSAGE",
    "ActionContext",
    "AddForm",
    "NewContact",
    "Outcome",
    "Reassigned",
    "add_contact",
    "clear_screen",
    "confirm_dial",
    "hand_back",
    "has_control_character",
    "new_call_id",
    "next_contact",
    "preview_expired",
    "reassign_callback",
    "release_contact",
    "reserved_contact",
    "select",
    "settle_abandoned_moves",
    "skip_contact",
]
