"""What a terminal is installed from: systemd units, udev, sysusers and tmpfiles
templates, the release launchers (bin/), and the installer (installer/)."""
