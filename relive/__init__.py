"""relive: festival souvenirs from a music taste and a photo — a PET, an AVATAR and a CAROUSEL.

Importing ``relive`` is cheap; subpackages load their heavy dependencies only when used.
"""

__version__ = "0.1.0"
