"""`planact bench`: running agents on benchmark tasks (WebArena format, MiniWoB) and scoring them."""
