"""Live connections that last only as long as the access that opened them.

Every websocket consumer derives from `AccessCheckedConsumer`. A socket joins a group for its
login session and one for its user; logging out (in any tab) ends the session's sockets,
any change to the user (deactivated, deleted, password changed, team or permission changes)
makes that user's sockets check their access again, and each socket checks again by itself
when its session expires. A socket that fails its check leaves its groups at once (no further
pushes) and is closed.
"""
