"""Small helpers every app may import; none imports anything else of agentdesk."""
