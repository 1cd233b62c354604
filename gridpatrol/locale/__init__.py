"""gridpatrol's gettext catalogs (``<lang>/LC_MESSAGES/gridpatrol.po`` and ``.mo``) and the
Babel extraction methods that keep them complete (``extract.py``)."""
