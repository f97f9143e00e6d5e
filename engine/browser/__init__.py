"""The browser layer: Chromium through Playwright (async), target resolution, actions, observations."""
