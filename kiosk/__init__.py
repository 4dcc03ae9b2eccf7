"""The terminal side of the self-service kiosk: reads the ID card, signs an assertion, hands it
to the portal. Runs on the terminal, next to Chromium in kiosk mode (see README)."""
