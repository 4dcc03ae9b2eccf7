"""The portal's side of the self-service terminals (kiosk/ holds the terminal's own agent)."""
