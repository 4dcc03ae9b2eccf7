#!/bin/sh
# Start a township hall terminal: the card-reader agent, then Chromium in kiosk mode with silent
# printing, on the portal's kiosk start screen. Configure with environment variables:
#   PORTAL_URL   the portal, e.g. https://ylbx.example.gov.cn      (default http://127.0.0.1:5000)
#   KIOSK_KEY    the terminal's private key (created once with --generate-key)
#   DEVICE_ID    the id registered in the console (/agency/terminals)
#   CARD_FILE    where the reader vendor's daemon writes the card (empty: simulated reader page)
set -eu
PORTAL_URL="${PORTAL_URL:-http://127.0.0.1:5000}"
: "${KIOSK_KEY:?set KIOSK_KEY}" "${DEVICE_ID:?set DEVICE_ID}"
cd "$(dirname "$0")/.."
python3 -m kiosk.agent --portal "$PORTAL_URL" --key "$KIOSK_KEY" --device-id "$DEVICE_ID" \
  ${CARD_FILE:+--card "$CARD_FILE"} &
AGENT=$!
trap 'kill $AGENT' EXIT
# --kiosk-printing prints without a dialog; --incognito keeps nothing between runs; the voice
# guidance (语音播报) starts by itself on each page without waiting for a first touch.
chromium --kiosk --kiosk-printing --incognito --no-first-run --disable-sync \
  --autoplay-policy=no-user-gesture-required \
  --disable-background-networking --disable-component-update --noerrdialogs \
  --disable-pinch --overscroll-history-navigation=0 "$PORTAL_URL/kiosk/"
