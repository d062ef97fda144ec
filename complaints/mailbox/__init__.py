"""Complaints by e-mail: the complaint mailbox read over IMAP (imap.py), each message read as the
intake needs it (parsing.py) and filed or recorded (services.py); staff see the record in the
admin (admin.py)."""
