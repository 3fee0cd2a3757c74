"""Site-wide pages: home, latest, feeds and the health check."""
