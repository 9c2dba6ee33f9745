"""Local store, outbox, sync client, wire protocol and the reference central server."""
