"""The kiosk as a system service: systemd's notification protocol (``notify``), the
case-sender service (``sender``), the self-test an upgrade waits for (``selftest``),
the data directory's recorded version and its migrations (``datastate``)."""
