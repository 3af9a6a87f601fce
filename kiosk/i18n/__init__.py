"""Translation with stable dotted keys (translate) and the scan for keys the code uses (scan)."""
