"""The citizen services besides applying: 进度查询, 取号 and 证明打印.

One screen per service, each driving its small journey of
:mod:`kiosk.desk.journeys` through :class:`kiosk.desk.servicedesk.ServiceDesk`:
the screen fires triggers (a card read, a tap) and renders ``journey.view()``.
Card events and worker results reach the screen only through the shell's bridge.
"""
