"""The nhi-platform program: stack config in, components out. No logic of its own (see ../shared/DESIGN.md)."""

import settings

stack = settings.load_settings()
