"""All that the kiosk and the central server share, and all the server takes from ``sync``.

- ``protocol``: the wire models (pushes, the change feed, heartbeats, ticket status);
- ``signing``: each kiosk's Ed25519 request signatures (RFC 9421), made and checked;
- ``ticket``: ticket numbers and kiosk codes;
- ``migrate``: Alembic upgrades at start-up, for the kiosk's store and the server's database.

Nothing here imports the rest of ``sync``, the kiosk or the server.
"""
