"""Cameras: the face camera and the document camera (高拍仪).

``base.py`` (Camera: latest-frame capture thread, frozen/unplug detection,
privacy), ``opencv.py`` (cv2.VideoCapture driver), ``simulator.py`` and
``scenes.py`` (files and synthetic scenes behind the VideoCapture interface),
``diagnose.py`` (``scripts/diagnose camera``).
"""
