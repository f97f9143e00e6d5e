"""The browser layer: Chromium through Playwright (async), target resolution, actions, observations."""

# The pages' size, for every page a run opens.
VIEWPORT = {"width": 1280, "height": 900}

# The step screenshots' default size, as a fraction of the viewport: half (640×450) keeps the text legible and
# costs the browser about 16 ms of CPU a capture instead of 26 ms at full size; a capture competes with the step
# that runs next.
SCREENSHOT_SCALE = 0.5
