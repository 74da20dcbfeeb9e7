"""The Qt screens. Only this package and app.py import PySide6."""
