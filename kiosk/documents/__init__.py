"""Document capture: page detection, rectification, quality checks, PDF, receipts QR."""
