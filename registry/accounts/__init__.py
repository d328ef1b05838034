"""User accounts, roles, password hashing (argon2) and login throttling."""
