"""The bundled demo web application: a small shop with a forum and an admin area.

Served on 127.0.0.1 by :func:`planact.demo.server.serve_demo`; every browser
session has its own server-side state (cart, orders, posts) so tasks have
checkable outcomes (``GET /api/state``).
"""
