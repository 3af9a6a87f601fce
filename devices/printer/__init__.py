"""Receipt printers: ESC/POS over python-escpos transports, and an emulator.

``make_printer(config.devices.printer)`` builds the configured driver;
``ReceiptPrinter.print_document(doc)`` prints a :mod:`devices.printer.document`
(composed on the kiosk side by :mod:`kiosk.receipts`).
"""
