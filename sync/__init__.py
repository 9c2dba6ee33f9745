"""The kiosk's side of sync (local store, outbox, sync client) and ``contract``: what the kiosk
and the central server share."""
