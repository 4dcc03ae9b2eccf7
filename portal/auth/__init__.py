"""Who is using the portal: server-side sessions, resident OpenID Connect sign-in, assurance."""
