"""The common directory: tenancy tree, users, passwords, MFA, API tokens, entitlements, audit."""
