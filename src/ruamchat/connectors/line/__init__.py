"""The LINE Official Account channel: webhooks in, reply/push out, content and profiles fetched."""
