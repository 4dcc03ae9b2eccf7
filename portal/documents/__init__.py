"""Documents the portal issues: account statements (对账单) with verification, as HTML and PDF."""
