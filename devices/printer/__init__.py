"""Receipt printers: ESC/POS over python-escpos transports, and an emulator.

``make_printer(config.devices.printer)`` builds the configured driver;
``ReceiptPrinter.print_document(doc)`` prints a :mod:`kiosk.receipts` document.
"""
