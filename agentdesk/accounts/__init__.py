"""Account security: login throttling (django-axes policy) and the client address it counts by."""
