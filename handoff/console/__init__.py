"""The agent web console (aiohttp): ``handoff.console.app.create_app``."""
