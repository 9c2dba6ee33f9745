"""The ``shuoshi`` command: one name for the kiosk's commands, the central server's and the
demo's."""
