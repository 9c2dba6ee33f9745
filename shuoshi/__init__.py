"""The ``shuoshi`` command: one name for the kiosk's commands and the central server's."""
