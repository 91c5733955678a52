"""The edge: HTTP API, WHIP/WHEP and page routes, the app that composes everything, the CLI."""
