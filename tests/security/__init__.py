"""The security battery: identity canaries, the IDOR matrix, API fuzzing and the script complaint in
Chromium (issue 11). Hostile uploads and staff authentication have their own modules here."""
