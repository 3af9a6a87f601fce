"""Fleet control on the kiosk (docs/fleet-control.md): the catalog and the site's central
settings from the back office, remote commands pulled through the heartbeat, and
maintenance (暂停服务) shown to citizens.

* :mod:`kiosk.fleet.files`: versioned JSON files written atomically (the last good
  catalog and settings, executed commands, maintenance);
* :mod:`kiosk.fleet.sync`: fetch, validate (the catalog loader's own rules) and keep
  the last good copy; what the kiosk starts on;
* :mod:`kiosk.fleet.maintenance`: the 暂停服务 state the Home screen renders;
* :mod:`kiosk.fleet.commands`: verify, run once between sessions, acknowledge;
* :mod:`kiosk.fleet.control`: the heartbeat's partner that ties them together.
"""
