"""QR and barcode scanners (亮码): the code a citizen presents, read without a camera.

Two families reach a kiosk: serial / USB-CDC scanners that send the code followed by
a terminator (:mod:`devices.codescanner.framing`), and HID keyboard-wedge scanners that
"type" it (:mod:`devices.codescanner.evdev`, read from the input device with an exclusive
grab so the keystrokes never reach a text field).
"""
