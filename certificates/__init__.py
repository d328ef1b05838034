"""Certificates: numbering, signing (jose), QR (qrcode), PDF (reportlab), status and verification.

Imports registry only; never assessment. Third-party libraries stay in their rooms: jose in signing.py,
qrcode in qr.py, reportlab in pdf.py.
"""
