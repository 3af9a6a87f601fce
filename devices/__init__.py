"""Device packages: one per kind. Never import Kivy."""
