"""The errors a clerk or an operator can be shown.

Every error raised on purpose derives from :class:`SeomError`; its message is one sentence
that says what happened and, where it helps, what to do. The CLI prints it on one line and the
screens show it in a dialog, so the message must never carry a secret.
"""


class SeomError(Exception):
    """An error whose message is meant for the user."""


class InputError(SeomError):
    """The user asked for something that does not make sense (unknown SKU, bad quantity...)."""


class NotFoundError(InputError):
    """A named thing (product, cart, parameter, stack row) does not exist."""


class StoreError(SeomError):
    """The store data file or database cannot be used (cannot open, locked, too new...)."""


class StoreLockedError(StoreError):
    """Another workstation held the store's write lock past the busy timeout."""


class StoreTooNewError(StoreError):
    """The store was made by a newer version of SEOM Desktop; nothing was changed."""
