"""Embedded OpenID provider standing in for the provincial identity platform (实名认证平台).

Used only when OIDC_ISSUER is unset. It checks name + identity document against the embedded
population register, sends a one-time code to the registered phone through the outbox, and offers
a simulated face check that raises the assurance level (acr) from "real-name" to "face".
"""
