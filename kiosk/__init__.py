"""The 说事厅 touchscreen kiosk: screens, the resident's session, receipts and the command line."""
