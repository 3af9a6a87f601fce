"""The simulated terminal: every device simulator and the back office, on loopback."""
