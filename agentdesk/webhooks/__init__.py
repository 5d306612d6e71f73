"""Events out to CRMs: signed JSON webhooks per team, delivered and retried by the job runner."""
