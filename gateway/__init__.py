"""The customer-plane front door: TLS, sessions, login/MFA, CSRF, headers, brand, web UI."""
