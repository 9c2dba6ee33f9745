"""``make run`` / ``shuoshi run``: the central server, the sync worker and the kiosk together.

Outside both the kiosk and the server (it needs both installed), so neither depends on it.
"""
