"""A case from the kiosk to the back office: the case and its reference, the encrypted
outbox, the sender with its retry policy, the signed back-office client and the
heartbeat.
"""
