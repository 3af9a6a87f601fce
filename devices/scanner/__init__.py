"""Scanners: the document camera (高拍仪) and SANE flatbeds behind one interface.

``base.py`` (Scanner: ``scan() -> ScannedPage``), ``doccam.py`` (camera + page
detection), ``sane.py`` (python-sane; UNAVAILABLE with a reason when SANE or a
device is missing).
"""
