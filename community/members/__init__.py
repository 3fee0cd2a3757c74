"""Members: registration, sign-in, roles, profiles and settings."""
